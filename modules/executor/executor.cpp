// Executor and Error: the out-of-line parts (see executor.cppm, failure.cppm).
module;
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

module recourse.executor;

import :state;

namespace recourse {

Executor::Executor(ExecutorOptions options)
    : state_(std::make_unique<detail::ExecutorState>(std::move(options))), indexes_(&state_->indexes) {}
Executor::~Executor() = default;

std::uint64_t Executor::observer_errors() const noexcept {
  return state_->observer_errors.load(std::memory_order_relaxed);
}

std::uint64_t Executor::over_limit_calls() const noexcept {
  return state_->over_limit_calls.load(std::memory_order_relaxed);
}

Clock& Executor::clock() const noexcept { return state_->clock; }

std::optional<CircuitState> Executor::circuit_state(std::string_view key) const {
  const auto parsed = Key::parse(key);
  if (!parsed) return std::nullopt;
  if (const detail::CompiledPolicy* policy = state_->find(key)) {
    if (policy->breaker == nullptr) return std::nullopt;
    return policy->breaker->state();
  }
  return state_->circuit_state_of(*parsed);  // a getter: it compiles nothing
}

void Executor::throw_failure(std::string_view key, Failure failure) { throw Error(key, std::move(failure)); }
void Executor::throw_failure(KeyHandle key, Failure failure) { throw Error(key.key().str(), std::move(failure)); }

Error::Error(std::string_view key, Failure failure)
    : failure_(std::move(failure)),
      message_("recourse: " + std::string(key) + ": " + std::string(failure_.reason) + " after " +
               std::to_string(failure_.attempts) + (failure_.attempts == 1 ? " attempt" : " attempts")) {}

const char* Error::what() const noexcept { return message_.c_str(); }
const Failure& Error::failure() const noexcept { return failure_; }
std::string_view Error::reason() const noexcept { return failure_.reason; }

}  // namespace recourse
