// Reason-code tables (see outcome.cppm). http_<status> strings are built once into static
// storage so an Outcome can point at them.
module;
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>

module recourse.plugin;

namespace recourse {
namespace {

constexpr std::array<std::string_view, 17> grpc_reasons{
    "grpc_ok",
    "grpc_cancelled",
    "grpc_unknown",
    "grpc_invalid_argument",
    "grpc_deadline_exceeded",
    "grpc_not_found",
    "grpc_already_exists",
    "grpc_permission_denied",
    "grpc_resource_exhausted",
    "grpc_failed_precondition",
    "grpc_aborted",
    "grpc_out_of_range",
    "grpc_unimplemented",
    "grpc_internal",
    "grpc_unavailable",
    "grpc_data_loss",
    "grpc_unauthenticated",
};

constexpr std::array<std::string_view, 17> grpc_names{
    "OK",        "CANCELLED",          "UNKNOWN",  "INVALID_ARGUMENT",    "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
};

// "http_" + three digits for every status 100..599.
struct HttpReasons {
  static constexpr int first = 100, count = 500, width = 8;
  std::array<char, count * width> text{};
  constexpr HttpReasons() {
    for (int i = 0; i < count; ++i) {
      const int status = first + i;
      char* out = &text[static_cast<std::size_t>(i * width)];
      out[0] = 'h', out[1] = 't', out[2] = 't', out[3] = 'p', out[4] = '_';
      out[5] = static_cast<char>('0' + status / 100);
      out[6] = static_cast<char>('0' + status / 10 % 10);
      out[7] = static_cast<char>('0' + status % 10);
    }
  }
};
constexpr HttpReasons http_reasons;

}  // namespace

namespace {

std::string_view intern_shared(std::string_view reason) {
  static std::shared_mutex mutex;
  static std::set<std::string, std::less<>>* reasons = new std::set<std::string, std::less<>>;  // never freed
  {
    std::shared_lock lock(mutex);
    if (auto it = reasons->find(reason); it != reasons->end()) return *it;
  }
  std::unique_lock lock(mutex);
  return *reasons->emplace(reason).first;
}

// What this thread interned lately, by where the reason's text was: a call records the same
// few reasons over and over (`success` from the same classifier's literal), and the shared set's
// reader count is a cache line every observed call on every thread would write. A slot answers
// only when the text is the same too, so a plugin unloaded and another loaded at its address
// cannot get the old reason. Initial-exec TLS (no __tls_get_addr call): this library is loaded
// with the program, and its few hundred bytes of such TLS fit glibc's reserve even if not.
struct RecentReason {
  const char* from = nullptr;
  std::string_view interned;
};
[[gnu::tls_model("initial-exec")]] thread_local std::array<RecentReason, 8> recent_reasons{};

}  // namespace

std::string_view intern_reason(std::string_view reason) {
  RecentReason& recent = recent_reasons[(reinterpret_cast<std::uintptr_t>(reason.data()) >> 3) % recent_reasons.size()];
  if (recent.from == reason.data() && recent.interned == reason) return recent.interned;
  const std::string_view interned = intern_shared(reason);
  recent = {reason.data(), interned};
  return interned;
}

std::string_view to_string(OutcomeKind kind) noexcept {
  switch (kind) {
    case OutcomeKind::success: return "success";
    case OutcomeKind::retryable: return "retryable";
    case OutcomeKind::non_retryable: return "non_retryable";
    case OutcomeKind::abort: return "abort";
    case OutcomeKind::unknown: return "unknown";
  }
  return "unknown";
}

std::string_view http_reason(int status) noexcept {
  if (status < HttpReasons::first || status >= HttpReasons::first + HttpReasons::count) return "http_invalid_status";
  return {&http_reasons.text[static_cast<std::size_t>((status - HttpReasons::first) * HttpReasons::width)],
          HttpReasons::width};
}

std::string_view grpc_reason(int code) noexcept {
  if (code < 0 || code >= static_cast<int>(grpc_reasons.size())) return "grpc_invalid_code";
  return grpc_reasons[static_cast<std::size_t>(code)];
}

std::optional<int> grpc_code_from_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < grpc_names.size(); ++i)
    if (grpc_names[i] == name) return static_cast<int>(i);
  return std::nullopt;
}

}  // namespace recourse
