// What every config error a fuzz target sees must satisfy: a message, and a position only
// together with a line (line >= 1 whenever a column is named), in the file the text was
// given as (or none).
#pragma once

#include <string>
#include <string_view>

#include "fuzz_check.hpp"

import recourse.host.config;

namespace recourse::fuzz {

inline void check_errors(const host::ConfigErrors& errors, std::string_view file) {
  check(!errors.errors.empty(), "a failure has at least one error");
  for (const ConfigError& e : errors.errors) {
    const std::string shown = to_string(e).substr(0, 200);
    check(!e.message.empty(), "an error has a message", shown);
    if (e.where.column > 0) check(e.where.line >= 1, "an error with a column has a line >= 1", shown);
    if (e.where.line > 0) check(e.where.file == file, "an error with a line names the file", shown);
  }
}

}  // namespace recourse::fuzz
