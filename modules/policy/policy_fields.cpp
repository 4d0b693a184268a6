// The policy field catalogue (see policy_fields.cppm). Each entry reaches its member through
// a chain of pointers-to-member, so get/set are generated, not written per field.
module;
#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <expected>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

module recourse.policy;

namespace recourse {
namespace {

constexpr double int_max = std::numeric_limits<int>::max();
constexpr double unbounded = std::numeric_limits<double>::infinity();

template <auto... Members>
auto& member_of(auto& policy) {
  return (policy .* ... .* Members);
}

template <auto... Members>
using MemberType = std::remove_cvref_t<decltype(member_of<Members...>(std::declval<Policy&>()))>;

template <class T>
constexpr FieldKind kind_of() {
  if constexpr (std::is_same_v<T, bool>) return FieldKind::boolean;
  else if constexpr (std::is_same_v<T, int>) return FieldKind::integer;
  else if constexpr (std::is_same_v<T, double>) return FieldKind::number;
  else if constexpr (std::is_same_v<T, Duration>) return FieldKind::duration;
  else if constexpr (std::is_same_v<T, std::string>) return FieldKind::string;
  else return FieldKind::enumeration;
}

template <class T>
std::expected<FieldValue, std::string> text_to_value(std::string_view text) {
  if constexpr (std::is_same_v<T, Duration>) {
    auto d = parse_duration(text);  // libstdc++ 12's expected has no transform()
    if (!d) return std::unexpected(std::move(d.error()));
    if (*d > max_policy_duration)
      return std::unexpected("out of range: \"" + std::string(text) + "\"; durations are at most " +
                             format_duration(max_policy_duration));
    return FieldValue(*d);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return FieldValue(std::string(text));
  } else if constexpr (NamedEnum<T>) {
    auto e = parse_enum<T>(text);
    if (!e) return std::unexpected(std::move(e.error()));
    return FieldValue(*e);
  } else {
    return std::unexpected(std::string("this field is not written as text"));
  }
}

template <class T>
constexpr std::span<const std::string_view> choices_of() {
  if constexpr (NamedEnum<T>) return EnumNames<T>::names;
  else return {};
}

template <auto... Members>
constexpr FieldInfo field(std::string_view path, std::string_view doc, double min = 0, double max = int_max) {
  using T = MemberType<Members...>;
  return FieldInfo{
      .path = path,
      .kind = kind_of<T>(),
      .doc = doc,
      .min = min,
      .max = max,
      .choices = choices_of<T>(),
      .get = [](const Policy& p) { return FieldValue(std::in_place_type<T>, member_of<Members...>(p)); },
      .set = [](Policy& p, const FieldValue& v) { member_of<Members...>(p) = std::get<T>(v); },
      .from_text = &text_to_value<T>,
  };
}

using P = Policy;
using R = RetryPolicy;
using H = HedgePolicy;
using C = CircuitPolicy;
using B = BudgetRef;

const std::array fields{
    field<&P::retry, &R::max_attempts>("retry.max_attempts", "attempts in all, the first included"),
    field<&P::retry, &R::backoff>("retry.backoff", "backoff strategy name", 1),
    field<&P::retry, &R::initial_backoff>("retry.initial_backoff", "delay before the first retry"),
    field<&P::retry, &R::max_backoff>("retry.max_backoff", "cap on any computed delay"),
    field<&P::retry, &R::multiplier>("retry.multiplier", "growth factor per retry", 0, unbounded),
    field<&P::retry, &R::jitter>("retry.jitter", "randomization of the delay"),
    field<&P::retry, &R::per_attempt_timeout>("retry.per_attempt_timeout", "deadline of one attempt; 0s: none"),
    field<&P::retry, &R::overall_timeout>("retry.overall_timeout", "deadline of the whole call; 0s: none"),
    field<&P::retry, &R::max_retry_after>("retry.max_retry_after", "cap on a classifier's Retry-After override"),
    field<&P::retry, &R::classifier>("retry.classifier", "classifier name", 1),
    field<&P::retry, &R::budget, &B::name>("retry.budget.name", "budget each retry asks; empty: none", 0),
    field<&P::retry, &R::budget, &B::cost>("retry.budget.cost", "tokens one retry costs"),
    field<&P::hedge, &H::enabled>("hedge.enabled", "race extra attempts against a slow one"),
    field<&P::hedge, &H::max_hedges>("hedge.max_hedges", "extra attempts per group"),
    field<&P::hedge, &H::delay>("hedge.delay", "wait before each hedge (fixed trigger)"),
    field<&P::hedge, &H::trigger>("hedge.trigger", "what starts a hedge"),
    field<&P::hedge, &H::min_samples>("hedge.min_samples", "latency triggers: samples needed before any hedge"),
    field<&P::hedge, &H::trigger_name>("hedge.trigger_name", "trigger = custom: the trigger component", 0),
    field<&P::hedge, &H::cancel_on_first_terminal>("hedge.cancel_on_first_terminal",
                                                   "a terminal outcome ends the group at once"),
    field<&P::hedge, &H::budget, &B::name>("hedge.budget.name", "budget each hedge asks; empty: none", 0),
    field<&P::hedge, &H::budget, &B::cost>("hedge.budget.cost", "tokens one hedge costs"),
    field<&P::circuit, &C::enabled>("circuit.enabled", "refuse calls while the dependency fails"),
    field<&P::circuit, &C::kind>("circuit.kind", "what opens the breaker"),
    field<&P::circuit, &C::threshold>("circuit.threshold", "consecutive failed calls that open it"),
    field<&P::circuit, &C::window_type>("circuit.window_type", "failure-rate window: last N calls or last T"),
    field<&P::circuit, &C::window_size>("circuit.window_size", "calls in a count window"),
    field<&P::circuit, &C::window_duration>("circuit.window_duration", "span of a time window"),
    field<&P::circuit, &C::minimum_calls>("circuit.minimum_calls", "calls before a rate is judged"),
    field<&P::circuit, &C::failure_rate_threshold>("circuit.failure_rate_threshold",
                                                   "failure percentage that opens it", 0, 100),
    field<&P::circuit, &C::slow_call_rate_threshold>("circuit.slow_call_rate_threshold",
                                                     "slow-call percentage that opens it", 0, 100),
    field<&P::circuit, &C::slow_call_duration>("circuit.slow_call_duration",
                                               "a call slower than this is slow; 0s: off"),
    field<&P::circuit, &C::cooldown>("circuit.cooldown", "time open before probing"),
    field<&P::circuit, &C::half_open_probes>("circuit.half_open_probes", "calls let through half-open"),
};

std::string format_number(double value) {
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  std::string text(buffer.data(), result.ptr);
  // Keep a number recognisably a float ("2.0", not "2"), as TOML would write it.
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

}  // namespace

std::string_view to_string(FieldKind kind) noexcept {
  switch (kind) {
    case FieldKind::boolean: return "boolean";
    case FieldKind::integer: return "integer";
    case FieldKind::number: return "number";
    case FieldKind::duration: return "duration";
    case FieldKind::string: return "string";
    case FieldKind::enumeration: return "enumeration";
  }
  return "invalid";
}

std::span<const FieldInfo> policy_fields() noexcept { return fields; }

const FieldInfo* find_policy_field(std::string_view path) noexcept {
  const auto it = std::ranges::find(fields, path, &FieldInfo::path);
  return it == fields.end() ? nullptr : &*it;
}

std::size_t field_index(const FieldInfo& field) noexcept {
  return static_cast<std::size_t>(&field - fields.data());
}

std::string format_field_value(const FieldValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::remove_cvref_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
        else if constexpr (std::is_same_v<T, int>) return std::to_string(v);
        else if constexpr (std::is_same_v<T, double>) return format_number(v);
        else if constexpr (std::is_same_v<T, Duration>) return format_duration(v);
        else if constexpr (std::is_same_v<T, std::string>) return "\"" + v + "\"";
        else return std::string(to_string(v));
      },
      value);
}

}  // namespace recourse
