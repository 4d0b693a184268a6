// Building a Runtime from a Config (see runtime.cppm).
module;
#include "recourse/mutex.h"

#include <spdlog/sinks/stdout_color_sinks.h>  // also declares stderr_color_mt
#include <spdlog/spdlog.h>

#include <atomic>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <tuple>
#include <type_traits>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

module recourse.host.runtime;

import :changes;

namespace recourse::host {
namespace {

class SpdlogLogger final : public Logger {
 public:
  explicit SpdlogLogger(std::string name)
      : logger_(spdlog::stderr_color_mt(name + "-" + std::to_string(++instances))) {}
  void log(LogLevel level, std::string_view message) noexcept override {
    try {
      logger_->log(level == LogLevel::debug  ? spdlog::level::debug
                   : level == LogLevel::info ? spdlog::level::info
                   : level == LogLevel::warn ? spdlog::level::warn
                                             : spdlog::level::err,
                   "{}", message);
    } catch (...) {
    }
  }
  ~SpdlogLogger() override { spdlog::drop(logger_->name()); }

 private:
  static inline std::atomic<int> instances{0};
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace

std::shared_ptr<Logger> make_spdlog_logger(std::string name) { return std::make_shared<SpdlogLogger>(std::move(name)); }

std::expected<std::unique_ptr<Runtime>, ConfigErrors> build_runtime(const Config& config, RuntimeOptions options) {
  auto runtime = std::make_unique<Runtime>();
  runtime->clock = options.clock ? options.clock : std::make_shared<SystemClock>();
  runtime->random = options.random ? options.random
                                   : std::make_shared<SplitMixRandom>(static_cast<std::uint64_t>(
                                         std::chrono::steady_clock::now().time_since_epoch().count()));
  runtime->logger = options.logger ? options.logger : make_spdlog_logger("recourse");
  runtime->services = PluginContext{runtime->clock.get(),   runtime->random.get(), runtime->logger.get(),
                                    &runtime->policy_files, runtime->stats.get(),  runtime->feed_status.get()};
  if (options.components != nullptr) runtime->host_components = *options.components;
  options.components = nullptr;  // copied: the caller's need not outlive the runtime
  runtime->options = std::move(options);
  auto executor_options = assemble(*runtime, config, nullptr);
  if (!executor_options) return std::unexpected(std::move(executor_options.error()));
  runtime->assembly_ = std::static_pointer_cast<const Assembly>(executor_options->resources);
  runtime->executor = std::make_unique<Executor>(std::move(*executor_options));
  runtime->switch_feeds();  // a control plane starts following, now that calls can run
  return runtime;
}

ReloadResult Runtime::apply(const Config& config) {
  ReloadResult result;
  {
    detail::MutexLock lock(applying_);
    result = apply_locked(config, nullptr);
  }
  if (result.accepted) switch_feeds();
  return result;
}

ReloadResult Runtime::apply_locked(const Config& config, std::shared_ptr<const FeedDocument> offered) {
  ReloadResult result;
  const bool document = offered != nullptr;
  auto next = assemble(*this, config, assembly_.get(), std::move(offered));
  if (!next) return refused(std::move(next.error()), document ? document_refused : std::string_view());
  result.changes = describe_changes(assembly_->config, assembly_of(*next).config);
  auto made = std::static_pointer_cast<const Assembly>(next->resources);
  const Replacement replaced = executor->replace(std::move(*next), result.changes);
  {
    detail::MutexLock lock(assembly_mutex_);
    assembly_ = std::move(made);
  }
  result.accepted = true;
  result.generation = replaced.generation;
  result.breakers_reset = replaced.breakers_reset;
  return result;
}

ReloadResult Runtime::apply(std::string_view toml_text, std::string file_label) {
  auto config = parse_config(toml_text, std::move(file_label), {}, options.overrides);
  if (!config) return refused(std::move(config.error()));
  // Still the file reload() and watch() read: a document pushed in between does not end them.
  config->file = running()->config.file;
  return apply(*config);
}

ReloadResult Runtime::reload() {
  const std::filesystem::path file = running()->config.file;
  if (file.empty()) {  // built from text: nothing to re-read (not a refused config: observers hear nothing)
    ReloadResult result{.generation = executor->generation()};
    result.errors.errors.push_back(
        ConfigError{{}, "", "the running config was not read from a file: nothing to reload"});
    return result;
  }
  auto config = load_config(file, {}, options.overrides);
  if (!config) return refused(std::move(config.error()));
  return apply(*config);
}

std::shared_ptr<const Assembly> Runtime::running() const {
  detail::MutexLock lock(assembly_mutex_);
  return assembly_;
}

ReloadResult Runtime::refused(ConfigErrors errors, std::string_view event_prefix) {
  ReloadResult result;
  result.errors = std::move(errors);
  result.generation = executor->generation();
  ConfigEvent event;
  for (const ConfigError& e : result.errors.errors) event.errors.push_back(std::string(event_prefix) + to_string(e));
  executor->report_refused(std::move(event));
  return result;
}

}  // namespace recourse::host
