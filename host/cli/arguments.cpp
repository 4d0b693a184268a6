// Parsing a subcommand's arguments (see arguments.hpp).
#include "arguments.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "commands.hpp"
#include "terminal_text.hpp"

namespace recourse::cli {

std::optional<std::string_view> Arguments::value(std::string_view option) const {
  const auto it = values.find(option);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

Arguments parse_arguments(std::span<const std::string_view> args, std::span<const std::string_view> value_options,
                          std::span<const std::string_view> flag_options) {
  Arguments out;
  bool options_ended = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (options_ended || arg == "-" || !arg.starts_with("-")) {
      out.positional.push_back(arg);
    } else if (arg == "--") {
      options_ended = true;
    } else if (arg == "--help" || arg == "-h") {
      out.help = true;
    } else {
      const std::size_t equals = arg.find('=');
      const std::string_view name = arg.substr(0, equals);
      if (std::ranges::find(value_options, name) != value_options.end()) {
        if (equals != std::string_view::npos) {
          out.values[name] = arg.substr(equals + 1);
        } else if (i + 1 < args.size()) {
          out.values[name] = args[++i];
        } else {
          out.error = fmt::format("{} needs a value", name);
          return out;
        }
      } else if (equals == std::string_view::npos && std::ranges::find(flag_options, name) != flag_options.end()) {
        out.flags.insert(name);
      } else {
        out.error = fmt::format("unknown option \"{}\"", arg);
        return out;
      }
    }
  }
  return out;
}

std::optional<OutputFormat> output_format(const Arguments& args, std::string& error) {
  const auto format = args.value("--format");
  if (!format || *format == "text") return OutputFormat::text;
  if (*format == "json") return OutputFormat::json;
  error = fmt::format("unknown format \"{}\"; known: text, json", *format);
  return std::nullopt;
}

int usage_error(std::string_view command, std::string_view message, std::string_view usage) {
  fmt::print(stderr, "recourse {}: {}\n\n{}", command, printable(message), usage);
  return exit_usage;
}

int show_help(std::string_view usage) {
  fmt::print("{}", usage);
  return exit_ok;
}

}  // namespace recourse::cli
