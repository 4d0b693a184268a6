// Shared set-up for executor tests: a virtual clock, a policy table filled through the field
// catalogue, and observers/budgets/classifiers that record what they were asked.
#pragma once

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

import recourse.core;

namespace harness {

using namespace std::chrono_literals;

inline void set(recourse::PolicyPatch& patch, std::string_view path, recourse::FieldValue value) {
  const auto* field = recourse::find_policy_field(path);
  BOOST_REQUIRE_MESSAGE(field != nullptr, path);
  patch.entries.push_back({field, std::move(value), {"test", 1, 1}});
}

// Events as `recourse test` spells them: start, attempt:<reason>, budget:<reason>, success,
// failure:<reason>.
class EventLog : public recourse::Observer {
 public:
  void on_start(const recourse::CallInfo&) override { add("start"); }
  void on_attempt(const recourse::CallInfo&, const recourse::AttemptRecord& a) override {
    add("attempt:" + std::string(a.reason));
  }
  void on_budget_decision(const recourse::CallInfo&, const recourse::BudgetEvent& e) override {
    add("budget:" + std::string(e.reason));
  }
  void on_success(const recourse::CallInfo&, const recourse::Timeline&) override { add("success"); }
  void on_failure(const recourse::CallInfo&, const recourse::Timeline& t) override {
    add("failure:" + std::string(t.final_reason));
  }
  void on_cardinality_exceeded(std::string_view key) override { add("cardinality:" + std::string(key)); }

  std::vector<std::string> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  void add(std::string e) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(e));
  }
  mutable std::mutex mutex_;
  std::vector<std::string> events_;
};

// Allows while `allow` says so; counts acquisitions, releases and recorded outcomes.
class CountingBudget : public recourse::Budget {
 public:
  std::atomic<bool> allow{true};
  std::atomic<int> acquired{0}, released{0}, released_unused{0}, recorded{0};
  recourse::BudgetDecision acquire(const recourse::BudgetRequest&) override {
    if (!allow) return {false, recourse::reason::budget_denied, 0};
    return {true, recourse::reason::allowed, static_cast<std::uint64_t>(++acquired)};
  }
  void release(const recourse::BudgetRequest& request, std::uint64_t) noexcept override {
    ++released;
    if (request.unused) ++released_unused;
  }
  void record(std::string_view, const recourse::Outcome& outcome, recourse::TimePoint) noexcept override {
    ++recorded;
    last_reason.store(outcome.reason.data());  // reasons have static storage
  }
  std::atomic<const char*> last_reason{nullptr};
};

struct Harness {
  std::shared_ptr<recourse::VirtualClock> virtual_clock = std::make_shared<recourse::VirtualClock>();
  recourse::PolicyTable table;
  recourse::ExecutorOptions options;

  Harness() {
    table.defaults.where = {"test", 1, 1};  // a [defaults] layer: every key has a policy
    options.clock = virtual_clock;
    options.random = std::make_shared<recourse::FixedRandom>(0.5);
  }

  std::unique_ptr<recourse::Executor> make() {
    options.provider = std::make_shared<recourse::StaticPolicyProvider>(table);
    return std::make_unique<recourse::Executor>(std::move(options));
  }

  // Virtual milliseconds since the clock's start.
  long long ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(virtual_clock->now().time_since_epoch()).count();
  }
};

inline long long ms(recourse::Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

}  // namespace harness
