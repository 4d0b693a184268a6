// recourse.host.config_check — every error of a config file in one pass, as `recourse
// validate` and `recourse explain` report them.
//
// First the file's own errors (host::read_config_file: syntax, unknown fields, wrong types),
// then what building the runtime finds in the config as far as it could be read: refused
// plugins, component tables their plugin rejects, names nothing provides. The second stage
// runs whenever it still means something: the TOML parsed and [plugins] was read without
// errors (otherwise which plugins load is unknown, and every plugin component would look
// missing). Observers and the [provider] are only looked up, never created: creating an
// observer opens its output file. Errors come back in file order.
module;
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

export module recourse.host.config_check;

export import recourse.host.runtime;

export namespace recourse::host {

struct ConfigCheck {
  ConfigReading reading;            // the file as read; partial when it has errors
  std::vector<ConfigError> errors;  // every stage's errors, in file order
  std::vector<std::string> notes;   // what could not be checked, and why

  // The file itself has errors (the runtime's alone leave it loadable).
  bool file_has_errors() const noexcept { return !reading.errors.errors.empty(); }
};

// `build_runtime` false: the file alone (`validate --no-plugins`).
ConfigCheck check_config(ConfigReading reading, bool build_runtime);
ConfigCheck check_config_file(const std::filesystem::path& file, bool build_runtime);

}  // namespace recourse::host
