// recourse.host.analysis:component_sources — which code serves each component a policy names,
// decided the way host::build_runtime and the executor decide it, from the same
// ComponentCatalogue:
//
//   classifier, backoff,  a configured instance ([classifiers.NAME] / [backoffs.NAME] /
//   hedge trigger         [triggers.NAME], served by the component its `plugin` names), else
//                         the catalogue's component of that name (a plugin's, else a built-in)
//   budget                [budgets.NAME], served by the component its `plugin` names
//
// A name nothing serves is reported as missing with the reason, never as an error: explain
// shows it, and validate's runtime check reports it as a config error.
module;
#include <span>
#include <string>
#include <vector>

export module recourse.host.analysis:component_sources;

export import recourse.host.runtime;

export namespace recourse::host {

struct ComponentSource {
  enum class Kind { builtin, plugin, missing };
  std::string role;         // "classifier", "backoff", "retry budget", "hedge budget"
  std::string name;         // as the policy names it
  Kind kind = Kind::missing;
  std::string plugin;       // the serving plugin's name and version ("http 0.1.0"); empty unless plugin
  std::string file;         // the plugin's shared object; empty unless plugin
  // How the name resolved ("[classifiers.internal_http], component http") or why it did not;
  // empty for a built-in classifier or backoff, which needs no explaining.
  std::string detail;
};

std::string_view to_string(ComponentSource::Kind kind) noexcept;

// The classifier, the backoff, and the retry and hedge budgets when the policy names them (the
// hedge budget only while hedging is on).
std::vector<ComponentSource> component_sources(const Policy& policy, const Config& config,
                                               const ComponentCatalogue& catalogue);

}  // namespace recourse::host
