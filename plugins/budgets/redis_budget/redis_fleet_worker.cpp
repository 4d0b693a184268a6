// redis_fleet_worker URL KEY BATCH: one "process" of the fleet test (redis_fleet_test.cpp).
// It loads the redis_token_bucket budget through the public runtime and runs calls whose every
// attempt fails, under a policy of two attempts naming the budget, so each call asks the
// budget for one retry. Driven by commands on stdin, one line each:
//   run N    N calls; prints one line of counts over those calls' budget decisions:
//            "allowed A denied D unavailable_allowed UA unavailable_denied UD first_decision_us F"
//            (F: from the first call's start to its budget decision)
//   quit
// The first line it prints is "ready".
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>

import recourse.runtime;

namespace {

// Counts the budget decisions of the calls run since the last reset.
class DecisionCounter final : public recourse::Observer {
 public:
  void on_budget_decision(const recourse::CallInfo&, const recourse::BudgetEvent& decision) override {
    if (first_at_.load() == 0) first_at_.store(std::chrono::steady_clock::now().time_since_epoch().count());
    const bool unavailable = decision.reason == "budget_redis_unavailable";
    if (unavailable) ++(decision.allowed ? unavailable_allowed_ : unavailable_denied_);
    else ++(decision.allowed ? allowed_ : denied_);
  }
  void reset() {
    allowed_ = denied_ = unavailable_allowed_ = unavailable_denied_ = 0;
    first_at_ = 0;
  }
  std::string report(std::chrono::steady_clock::time_point started) const {
    const auto first = std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(first_at_.load()));
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(first - started).count();
    std::ostringstream out;
    out << "allowed " << allowed_ << " denied " << denied_ << " unavailable_allowed " << unavailable_allowed_
        << " unavailable_denied " << unavailable_denied_ << " first_decision_us " << (first_at_ == 0 ? -1 : us);
    return out.str();
  }

 private:
  std::atomic<int> allowed_{0}, denied_{0}, unavailable_allowed_{0}, unavailable_denied_{0};
  std::atomic<long long> first_at_{0};
};

std::string config(std::string_view url, std::string_view key, std::string_view batch) {
  std::ostringstream toml;
  toml << "[plugins]\npaths = [\"" << RECOURSE_PLUGIN_DIR << "\"]\nload = [\"redis_budget\"]\n\n"
       << "[budgets.fleet]\nplugin = \"redis_token_bucket\"\nurl = \"" << url << "\"\nkey = \"" << key << "\"\n"
       << "capacity = 20\nrefill_per_second = 10\nfleet_size = 4\nbatch = " << batch << "\n"
       << "timeout = \"20ms\"\nreconnect_backoff = \"20ms\"\nreconnect_backoff_max = \"100ms\"\n\n"
       << "[policies.\"fleet.*\"]\nretry.max_attempts = 2\nretry.initial_backoff = \"1ms\"\n"
       << "retry.budget = { name = \"fleet\" }\n";
  return toml.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: redis_fleet_worker URL KEY BATCH\n";
    return 2;
  }
  auto counter = std::make_shared<DecisionCounter>();
  recourse::RuntimeOptions options;
  options.observers.push_back(counter);
  auto runtime = recourse::Runtime::from_text(config(argv[1], argv[2], argv[3]), "fleet-worker", options);
  if (!runtime) {
    std::cerr << runtime.error().message() << '\n';
    return 2;
  }
  std::cout << "ready" << std::endl;
  for (std::string line; std::getline(std::cin, line);) {
    std::istringstream in(line);
    std::string command;
    int n = 0;
    in >> command >> n;
    if (command == "quit") break;
    if (command != "run") {
      std::cout << "unknown command: " << line << std::endl;
      continue;
    }
    counter->reset();
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i)
      (void)runtime->executor().try_run(
          "fleet.Call", [](const recourse::Attempt&) { return std::make_error_code(std::errc::connection_refused); });
    std::cout << counter->report(started) << std::endl;
  }
  return 0;
}
