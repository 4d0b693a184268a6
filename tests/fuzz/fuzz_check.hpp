// A property check for fuzz targets: a failed one prints what broke and the offending value,
// then aborts, which libFuzzer (and the standalone driver under CTest) report as a crash with
// the input saved. Used instead of assert() so the checks hold in builds with NDEBUG too.
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace recourse::fuzz {

inline void check(bool holds, std::string_view property, std::string_view detail = {}) {
  if (holds) return;
  std::fprintf(stderr, "fuzz property failed: %.*s%s%.*s\n", static_cast<int>(property.size()), property.data(),
               detail.empty() ? "" : ": ", static_cast<int>(detail.size()), detail.data());
  std::abort();
}

inline std::string_view text(const unsigned char* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace recourse::fuzz
