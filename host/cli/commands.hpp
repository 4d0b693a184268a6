// The `recourse` tool's subcommands. Each takes its own arguments (after the subcommand name)
// and returns the process exit code: 0 ok, 1 a check failed, 2 usage or config error.
#pragma once

#include <span>
#include <string_view>

namespace recourse::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_check_failed = 1;
inline constexpr int exit_usage = 2;

int explain_command(std::span<const std::string_view> args);
int diff_command(std::span<const std::string_view> args);
int validate_command(std::span<const std::string_view> args);
int test_command(std::span<const std::string_view> args);
int plugins_command(std::span<const std::string_view> args);
int simulate_command(std::span<const std::string_view> args);

}  // namespace recourse::cli
