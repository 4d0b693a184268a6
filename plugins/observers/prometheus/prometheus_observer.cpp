// The `prometheus` observer: serves what the executor's calls did at /metrics, in the
// Prometheus text exposition format, for a Prometheus server to scrape.
//
//   [observers.metrics]
//   plugin = "prometheus"
//   listen = "127.0.0.1:9464"     # default: loopback only; "0.0.0.0:9464" to be scraped from elsewhere
//   path = "/metrics"             # default
//   buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]   # seconds, increasing
//
// Families (docs/plugins.md has the table): recourse_calls_total{key,outcome,reason},
// recourse_attempts_total{key,reason}, recourse_hedges_total{key,event},
// recourse_budget_decisions_total{budget,decision}, recourse_circuit_state{key,state},
// recourse_circuit_transitions_total{key,from,to}, recourse_call_duration_seconds{key}
// (histogram), recourse_config_generation, recourse_config_reloads_total{result}, and from
// the executor's counters (PluginContext::stats) recourse_observer_errors_total and
// recourse_over_limit_calls_total; from the host's feed (PluginContext::feeds), when it runs
// one, recourse_policy_feed_info{provider,target,version}, _staleness_seconds,
// _last_good_timestamp_seconds and _fetches_total{result}.
//
// An event costs a few relaxed atomic adds: the key's counters are found by CallInfo::key_slot,
// the reason's by its pointer (metric_store.hpp). Keys past the executor's max_keys count as
// key="_over_limit", so label values are bounded by the executor's key limit.
#include <recourse/plugin.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "listener.hpp"
#include "metric_store.hpp"

import recourse.plugin;
import recourse.support.config;

namespace recourse::plugins::prometheus {
namespace {

const std::vector<double> default_buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

struct Address {
  std::string host;
  int port = 0;
};

std::expected<Address, std::string> parse_address(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return std::unexpected("expected host:port, such as \"127.0.0.1:9464\"");
  Address address{std::string(text.substr(0, colon)), 0};
  const std::string_view port = text.substr(colon + 1);
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), address.port);
  if (error != std::errc() || end != port.data() + port.size() || address.port < 0 || address.port > 65535)
    return std::unexpected("the port must be a number from 0 to 65535");
  return address;
}

std::vector<Duration> read_buckets(const ComponentContext& context, support::ConfigReader& in) {
  std::vector<double> seconds = default_buckets;
  if (const ConfigNode* list = context.config.find("buckets")) {
    seconds.clear();
    if (list->kind != ConfigNode::Kind::array) {
      in.fail({list->where, list->path, "expected an array of bucket bounds in seconds, got " + describe_value(*list)});
    }
    for (const ConfigNode& item : list->items) {
      const bool numeric = item.kind == ConfigNode::Kind::number || item.kind == ConfigNode::Kind::integer;
      const double value = item.kind == ConfigNode::Kind::integer ? static_cast<double>(item.integer) : item.number;
      // At least a microsecond: bounds are kept in nanoseconds, and must stay distinct there.
      if (!numeric || !(value >= 1e-6) || value > 86400) {
        in.fail({item.where, item.path,
                 "expected a bucket bound in seconds from 0.000001 to 86400, got " + describe_value(item)});
      } else if (!seconds.empty() && value <= seconds.back()) {
        in.fail({item.where, item.path, "bucket bounds must increase"});
      } else {
        seconds.push_back(value);
      }
    }
    if (list->kind == ConfigNode::Kind::array && list->items.empty())
      in.fail({list->where, list->path, "needs at least one bucket bound"});
  }
  std::vector<Duration> bounds;
  for (const double s : seconds)
    bounds.push_back(std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s)));
  return bounds;
}

std::size_t index_of(CircuitState state) noexcept {
  switch (state) {
    case CircuitState::closed: return 0;
    case CircuitState::open: return 1;
    case CircuitState::half_open: return 2;
  }
  return 0;
}

}  // namespace

class PrometheusObserver final : public SelectiveObserver {
 public:
  // Counters need no on_start and no attempts' list: a call costs a few relaxed adds and the
  // clock reads its duration histogram needs (`times`).
  ObserverEvents events() const noexcept override {
    return ObserverEvent::attempt | ObserverEvent::outcome | ObserverEvent::times | ObserverEvent::budget_decision |
           ObserverEvent::hedge | ObserverEvent::circuit_transition | ObserverEvent::config;
  }

  explicit PrometheusObserver(const ComponentContext& context) {
    static constexpr std::string_view known[]{"plugin", "listen", "path", "buckets"};
    support::ConfigReader in(context.config, known);
    Address address{"127.0.0.1", 9464};
    if (auto listen = in.string("listen")) {
      if (auto parsed = parse_address(*listen)) address = *parsed;
      else in.fail("listen", parsed.error());
    }
    std::string path = "/metrics";
    if (auto p = in.string("path")) {
      // cpp-httplib matches the path as a regular expression: only plain path characters.
      const bool plain = std::ranges::all_of(*p, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
               c == '-';
      });
      if (p->empty() || p->front() != '/') in.fail("path", "must start with /");
      else if (!plain) in.fail("path", "may hold only letters, digits, '/', '_' and '-'");
      else path = *p;
    }
    std::vector<Duration> bounds = read_buckets(context, in);
    if (in.ok()) {
      store_ = std::make_unique<MetricStore>(std::move(bounds));
      store_->stats = context.host.stats;
      store_->feeds = context.host.feeds;
      store_->clock = context.host.clock;
      auto listener = Listener::on(address.host, address.port, path);
      if (!listener) {
        in.fail("listen", listener.error());
      } else {
        listener_ = std::move(*listener);
        source_ = listener_->attach([store = store_.get()] { return store->exposition(); });
        if (context.host.logger != nullptr)
          context.host.logger->log(LogLevel::info, "prometheus observer \"" + std::string(context.instance_name) +
                                                       "\" serving http://" + address.host + ":" +
                                                       std::to_string(listener_->port()) + path);
      }
    }
    in.finish();
  }

  ~PrometheusObserver() override { stop_serving(); }

  void on_attempt(const CallInfo& call, const AttemptRecord& attempt) override {
    store_->key(call).attempts.add(attempt.reason);
  }

  void on_success(const CallInfo& call, const Timeline& timeline) override { ended(call, timeline, true); }
  void on_failure(const CallInfo& call, const Timeline& timeline) override { ended(call, timeline, false); }

  void on_budget_decision(const CallInfo&, const BudgetEvent& decision) override {
    if (decision.budget.empty()) return;
    BudgetMetrics& budget = store_->budget(decision.budget);
    (decision.allowed ? budget.allowed : budget.denied).fetch_add(1, std::memory_order_relaxed);
  }

  void on_hedge(const CallInfo& call, const HedgeEvent& event) override {
    store_->key(call).hedges[static_cast<std::size_t>(event.kind)].fetch_add(1, std::memory_order_relaxed);
  }

  void on_circuit_transition(const CallInfo& call, CircuitTransition transition) override {
    KeyMetrics& key = store_->key(call);
    key.transitions[index_of(transition.from)][index_of(transition.to)].fetch_add(1, std::memory_order_relaxed);
    key.circuit_state.store(static_cast<int>(index_of(transition.to)), std::memory_order_relaxed);
  }

  void on_config(const ConfigEvent& event) override {
    (event.accepted ? store_->reloads_accepted : store_->reloads_refused).fetch_add(1, std::memory_order_relaxed);
    store_->generation.store(event.generation, std::memory_order_relaxed);
    for (const std::string& key : event.breakers_reset) store_->circuit_reset(key);
  }

  // Removed by a reload and its last call over: stop serving, so the port is free (unless a
  // newer observer on the same address still serves it).
  void flush() noexcept override { stop_serving(); }

 private:
  void ended(const CallInfo& call, const Timeline& timeline, bool succeeded) {
    KeyMetrics& key = store_->key(call);
    (succeeded ? key.succeeded : key.failed).add(timeline.final_reason);
    key.duration.observe(timeline.end - timeline.start);
    // Transitions keep the state gauge; a call that met the breaker open or half-open shows a
    // key has one before any transition was seen here (this exporter was added by a reload).
    int unknown = -1;
    if (timeline.circuit_state != CircuitState::closed)
      key.circuit_state.compare_exchange_strong(unknown, static_cast<int>(index_of(timeline.circuit_state)),
                                                std::memory_order_relaxed);
  }

  void stop_serving() noexcept {
    if (!listener_) return;
    listener_->detach(source_);
    listener_.reset();  // the last observer on the address: the server stops, the port closes
  }

  std::unique_ptr<MetricStore> store_;
  std::shared_ptr<Listener> listener_;
  std::uint64_t source_ = 0;
};

}  // namespace recourse::plugins::prometheus

RECOURSE_DECLARE_PLUGIN("prometheus", "0.1.0",
                        recourse::observer_component<recourse::plugins::prometheus::PrometheusObserver>("prometheus"))
