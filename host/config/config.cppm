// recourse.host.config — turns a TOML file into a PolicyTable, strictly.
//
// Every bad input (syntax, unknown table or field, wrong type, bad duration, out-of-range
// value, bad key) becomes one ConfigError with file:line:col, the field path and the quoted
// value; all errors of a file are reported together. toml++ stays inside the implementation.
module;
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

export module recourse.host.config;

export import recourse.core;
export import :error;

export namespace recourse::host {

struct Config {
  std::filesystem::path file;
  PolicyTable policies;
};

// `file_label` names the text in messages (usually the path it was read from).
std::expected<Config, ConfigErrors> parse_config(std::string_view toml_text, std::string file_label);

// Reads and parses a file; an unreadable file is a ConfigError too.
std::expected<Config, ConfigErrors> load_config(const std::filesystem::path& file);

}  // namespace recourse::host
