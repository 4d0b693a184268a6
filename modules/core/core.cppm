// recourse.core — the umbrella: `import recourse.core;` is all a user writes.
export module recourse.core;

export import recourse.key;
export import recourse.policy;
export import recourse.plugin;
export import recourse.executor;
