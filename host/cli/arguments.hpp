// Command-line arguments of one subcommand: positional arguments, `--name VALUE` (or
// `--name=VALUE`) options and `--flag` switches, in any order; `--` ends the options. An
// unknown option or a missing value is a usage error, reported by the subcommand with its
// usage text and exit code 2.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace recourse::cli {

struct Arguments {
  bool help = false;  // --help or -h
  std::vector<std::string_view> positional;
  std::map<std::string_view, std::string_view, std::less<>> values;  // "--format" → "json"
  std::set<std::string_view, std::less<>> flags;                     // "--strict"
  std::string error;  // empty when the arguments parsed

  std::optional<std::string_view> value(std::string_view option) const;
  bool flag(std::string_view option) const { return flags.contains(option); }
};

Arguments parse_arguments(std::span<const std::string_view> args, std::span<const std::string_view> value_options,
                          std::span<const std::string_view> flag_options = {});

enum class OutputFormat { text, json };

// --format text|json (text when absent); nothing, with `error` set, for any other value.
std::optional<OutputFormat> output_format(const Arguments& args, std::string& error);

// Prints "recourse COMMAND: MESSAGE", a blank line and the usage to stderr; returns exit_usage.
int usage_error(std::string_view command, std::string_view message, std::string_view usage);

// Prints the usage to stdout for --help, returns exit_ok.
int show_help(std::string_view usage);

}  // namespace recourse::cli
