// Executor and Error: the out-of-line parts (see executor.cppm, failure.cppm).
module;
#include "recourse/mutex.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

module recourse.executor;

import :state;

namespace recourse {

namespace {

void destroy_generation(void* state) noexcept { delete static_cast<detail::ExecutorState*>(state); }

}  // namespace

// The first generation's observers hear of it as of any other (an exporter's generation gauge
// reads 1 from the start).
Executor::Executor(ExecutorOptions options)
    : current_(new detail::ExecutorState(std::move(options), 1)), replacing_(std::make_unique<detail::Mutex>()) {
  const ConfigEvent first{1, true, {}, {}, {}};
  current_.load(std::memory_order_relaxed)->state->notify(ObserverEvent::config, [&](Observer& o) {
    o.on_config(first);
  });
}

// Its observers are flushed as the last generation holding each goes.
Executor::~Executor() {
  delete current_.load(std::memory_order_acquire)->state;
  detail::destroy_retired_of(this);
}

// The swap happens under the lock; telling the observers and retiring the old generation
// (which may destroy it, flushing observers and unloading libraries) happen after it, so an
// observer may call back into the executor.
Replacement Executor::replace(ExecutorOptions next, std::vector<std::string> changes) {
  const detail::ReadSection section;  // keeps the new generation alive until it is told
  detail::ExecutorState* old;
  detail::ExecutorState* made;
  Replacement result;
  ConfigEvent event;
  {
    detail::MutexLock lock(*replacing_);
    old = current_.load(std::memory_order_acquire)->state;
    detail::CarriedState carried = old->carry(next);
    auto fresh = std::make_unique<detail::ExecutorState>(std::move(next), old->number + 1, std::move(carried));
    result = Replacement{fresh->number, fresh->breakers_reset()};
    event = ConfigEvent{result.generation, true, std::move(changes), {}, result.breakers_reset};
    made = fresh.release();
    current_.store(made, std::memory_order_release);
  }
  detail::retire(detail::Retired{destroy_generation, old, this, 0});
  made->notify(ObserverEvent::config, [&](Observer& o) { o.on_config(event); });
  return result;
}

void Executor::report_refused(ConfigEvent event) noexcept {
  const detail::ReadSection section;
  detail::ExecutorState& state = *current_.load(std::memory_order_acquire)->state;
  event.accepted = false;
  event.generation = state.number;
  state.notify(ObserverEvent::config, [&](Observer& o) { o.on_config(event); });
}

std::uint64_t Executor::generation() const noexcept {
  const detail::ReadSection section;
  return current_.load(std::memory_order_acquire)->number;
}

std::size_t Executor::generations_retiring() const noexcept {
  detail::reclaim_retired(true);
  return detail::retired_waiting_count(this);
}

std::uint64_t Executor::observer_errors() const noexcept {
  const detail::ReadSection section;
  return current_.load(std::memory_order_acquire)->state->counters->observer_errors.load(std::memory_order_relaxed);
}

std::uint64_t Executor::over_limit_calls() const noexcept {
  const detail::ReadSection section;
  return current_.load(std::memory_order_acquire)->state->counters->over_limit_calls.load(std::memory_order_relaxed);
}

// The running generation's clock: the same one across replacements that name none.
Clock& Executor::clock() const noexcept {
  const detail::ReadSection section;
  return current_.load(std::memory_order_acquire)->state->clock;
}

std::optional<CircuitState> Executor::circuit_state(std::string_view key) const {
  const auto parsed = Key::parse(key);
  if (!parsed) return std::nullopt;
  const detail::ReadSection section;
  const detail::ExecutorState& state = *current_.load(std::memory_order_acquire)->state;
  if (const detail::CompiledPolicy* policy = state.find(key)) {
    if (policy->breaker == nullptr) return std::nullopt;
    return policy->breaker->state();
  }
  return state.circuit_state_of(*parsed);  // a getter: it compiles nothing
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
