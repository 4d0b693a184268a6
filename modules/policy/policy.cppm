// recourse.policy — what a key's policy is: value types with defaults, durations, the field
// catalogue, normalization, and resolution of a key against configured layers.
export module recourse.policy;

export import :duration;
export import :types;
export import :fields;
export import :normalize;
export import :table;
