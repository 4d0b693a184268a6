// recourse.plugin — what a plugin author implements against: the component interfaces
// (classifier, backoff strategy, budget, observer, policy provider), outcomes and reason
// codes, the attempt views, the timeline, and the injected clock and random source.
export module recourse.plugin;

export import recourse.key;
export import recourse.policy;
export import :time_point;
export import :attempt;
export import :outcome;
export import :clock;
export import :timeline;
export import :components;
export import :policy_feed;
export import :config_view;
export import :descriptor;
