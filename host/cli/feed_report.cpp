// feed_report.hpp: one start of the runtime, its feed's status copied out before it stops.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "terminal_text.hpp"

import recourse.host.runtime;

#include "feed_report.hpp"

namespace recourse::cli {
namespace {

std::string when(const std::optional<WallTime>& time) {
  return time ? fmt::format("{:%FT%TZ}", std::chrono::floor<std::chrono::seconds>(*time)) : std::string("never");
}

}  // namespace

std::optional<FeedReport> feed_report(const host::Config& config, const std::optional<Key>& key) {
  if (!config.provider || config.provider->plugin.empty()) return std::nullopt;
  FeedReport report;
  report.plugin = config.provider->plugin;
  // The feed alone: the config's observers would bind the service's metrics port or truncate
  // its trace file when run beside it (as the runbook suggests), and they tell nothing here.
  host::Config feed_only = config;
  std::erase_if(feed_only.components,
                [](const host::ComponentSpec& spec) { return spec.category == ComponentCategory::observer; });
  auto runtime = host::build_runtime(feed_only);
  if (!runtime) {
    for (const ConfigError& e : runtime.error().errors) report.errors.push_back(to_string(e));
    return report;
  }
  const auto running = (*runtime)->running();
  if (running->feed == nullptr) return std::nullopt;  // a plain provider: nothing to follow
  report.per_key = running->keyed_provider != nullptr;
  if (report.per_key && key) running->keyed_provider->prepare(*key);  // fetched before the status is read
  report.status = running->feed->status();
  if (report.per_key && key)
    if (auto table = running->keyed_provider->answered_table(*key))
      report.document = host::FeedDocument{std::move(*table), report.status.target, {}};
  report.generation = (*runtime)->executor->generation();
  if (running->document) report.document = *running->document;
  if (report.status.last_good)
    report.seconds_since_good =
        std::chrono::duration<double>((*runtime)->clock->wall_now() - *report.status.last_good).count();
  return report;
}

void print_feed_text(const FeedReport& feed) {
  if (!feed.errors.empty()) {
    fmt::print("provider {}: the runtime did not start\n", printable(feed.plugin));
    for (const std::string& e : feed.errors) fmt::print("  {}\n", printable(e));
    return;
  }
  const FeedStatus& s = feed.status;
  fmt::print("{}\n", printable(fmt::format("provider {} (a feed): {}", feed.plugin, s.target)));
  std::string document =
      feed.per_key ? "per key (answers laid over the file's policies)" : "none yet (the file's policies serve)";
  if (feed.document && !feed.per_key)
    document = fmt::format("{}{}", feed.document->label,
                           feed.document->version.empty() ? "" : ", version " + feed.document->version);
  fmt::print("{}\n", printable(fmt::format("  document   {}, generation {}", document, feed.generation)));
  fmt::print("  last fetch {}, last good {}{}\n", when(s.last_fetch), when(s.last_good),
             feed.seconds_since_good ? fmt::format(" ({:.1f} s ago)", *feed.seconds_since_good) : std::string());
  fmt::print("  fetches {} ({} unchanged, {} failed, {} refused)\n", s.fetches, s.unchanged, s.failures, s.refused);
  fmt::print("{}\n", printable("  last error " + (s.last_error.empty() ? std::string("none") : s.last_error)));
}

void print_feed_json(JsonOutput& json, const FeedReport& feed) {
  json.key("provider").begin_object().key("plugin").string(feed.plugin);
  json.key("mode").string(feed.per_key ? "per_key" : "document");
  json.key("errors").begin_array();
  for (const std::string& e : feed.errors) json.string(e);
  json.end_array();
  const FeedStatus& s = feed.status;
  json.key("target").string(s.target).key("version").string(s.version).key("generation").integer(feed.generation);
  if (feed.document) json.key("document").string(feed.document->label);
  else json.key("document").null();
  json.key("last_fetch").string(when(s.last_fetch)).key("last_good").string(when(s.last_good));
  if (feed.seconds_since_good) json.key("seconds_since_good").number(*feed.seconds_since_good);
  else json.key("seconds_since_good").null();
  json.key("fetches").integer(s.fetches).key("unchanged").integer(s.unchanged);
  json.key("failures").integer(s.failures).key("refused").integer(s.refused);
  json.key("last_error").string(s.last_error).end_object();
}

}  // namespace recourse::cli
