// What the tests of the standard budget plugins (plugins/budgets/*/*_test.cpp) share: a budget
// created from its [budgets.<name>] table on a virtual clock, the errors its config gives as
// text, and the calls that drive it — acquires, outcomes, calls started — plus running a body
// on several threads at once.
#pragma once

#include <boost/test/unit_test.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "plugin_harness.hpp"

namespace budget_test_helpers {

using plugin_harness::Table;
using recourse::OutcomeKind;

inline constexpr auto budget = recourse::ComponentCategory::budget;

// A table as [budgets.<name>] would give it: the plugin field is always there.
inline Table backend(const char* name) { return Table().add("plugin", name); }

// The plugin a table names: its first field is always `plugin`.
inline std::string_view backend_of(const Table& table) { return table.node.fields.front().value.string; }

inline std::shared_ptr<recourse::Budget> make(const Table& table, recourse::VirtualClock& clock) {
  const recourse::PluginContext services{&clock, nullptr, nullptr};
  return plugin_harness::create<recourse::Budget>(budget, backend_of(table), table, services);
}

// Every error creating it gives, one per line.
inline std::string errors(const Table& table) {
  recourse::VirtualClock clock;
  const recourse::PluginContext services{&clock, nullptr, nullptr};
  std::string text;
  for (const auto& e : plugin_harness::errors_creating<recourse::Budget>(budget, backend_of(table), table, services))
    text += recourse::to_string(e) + "\n";
  return text;
}

inline bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

inline recourse::BudgetRequest retry(int cost = 1) { return {"payments.Charge", false, 1, cost, {}}; }

inline bool take(recourse::Budget& b, int cost = 1) { return b.acquire(retry(cost)).allowed; }

// How many of `n` acquires are granted (none released).
inline int grants(recourse::Budget& b, int n) {
  int granted = 0;
  for (int i = 0; i < n; ++i) granted += take(b) ? 1 : 0;
  return granted;
}

inline void record(recourse::Budget& b, OutcomeKind kind, int times = 1) {
  for (int i = 0; i < times; ++i) b.record("payments.Charge", recourse::Outcome{kind, {}, std::nullopt}, {});
}

inline void start_calls(recourse::Budget& b, int n) {
  for (int i = 0; i < n; ++i) b.call_started("payments.Charge", {});
}

// Runs `body(thread_index)` on `n` threads at once.
template <class Body>
void on_threads(int n, Body body) {
  std::vector<std::jthread> threads;
  for (int t = 0; t < n; ++t) threads.emplace_back([&body, t] { body(t); });
}

}  // namespace budget_test_helpers
