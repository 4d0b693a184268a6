// recourse.runtime — what a service imports to run its calls under its TOML policy.
//
// The facade: one process-wide runtime, installed once at start-up, and calls that need nothing
// else (recourse_facade.cppm):
//
//   import recourse.runtime;
//   if (auto installed = recourse::install("recourse.toml"); !installed) {
//     std::cerr << installed.error().message() << '\n';
//     return 2;
//   }
//   int answer = recourse::run("payments.Charge", [](const recourse::Attempt&) { return 42; });
//
// The explicit runtime, for libraries that must not touch process-wide state (runtime_api.cppm):
//
//   auto runtime = recourse::Runtime::load("recourse.toml");
//   if (!runtime) { std::cerr << runtime.error().message(); return 2; }
//   int answer = runtime->executor().run("payments.Charge", [](const recourse::Attempt&) { return 42; });
//
// Either way a config file and the plugins it names become a running Executor, which takes the
// next config while calls run (reload, apply, watch). Plugins are loaded with every check the
// `recourse` tool makes (ownership and permissions, ELF header, build fingerprint, ABI), because
// the tool builds through this same library. The interface names std and recourse types only.
// Everything here is thread-safe unless it says otherwise; calls go on during a reload.
export module recourse.runtime;

export import recourse.core;
export import :api;
export import :facade;
