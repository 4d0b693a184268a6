// errno values by name and the reason code for each ("ECONNREFUSED" ↔ "errno_econnrefused").
#pragma once

#include <optional>
#include <string_view>

namespace recourse::plugins {

std::optional<int> errno_from_name(std::string_view name) noexcept;
// "errno_econnrefused"; "errno_other" for a value without a name here. Static storage.
std::string_view errno_reason(int value) noexcept;

}  // namespace recourse::plugins
