// recourse.runtime (see recourse_runtime.cppm): the public face of the host runtime. Each
// call forwards to recourse.host.runtime — the same build_runtime, apply and watch the
// `recourse` tool runs — and turns its results into the public types.
module;
#include <expected>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

module recourse.runtime;

import recourse.host.runtime;

namespace recourse {
namespace {

ReloadResult to_public(host::ReloadResult result) {
  return ReloadResult{.accepted = result.accepted,
                      .generation = result.generation,
                      .changes = std::move(result.changes),
                      .errors = std::move(result.errors.errors),
                      .breakers_reset = std::move(result.breakers_reset)};
}

// The component sharing ownership of the whole assembly (an aliasing pointer): a caller who
// keeps it past a reload, or past the Runtime, keeps the plugin library its code is in loaded.
template <class Component>
std::shared_ptr<Component> named(const std::shared_ptr<const host::Assembly>& running,
                                 const std::vector<std::pair<std::string, std::shared_ptr<Component>>>& built,
                                 std::string_view name) {
  for (const auto& [built_name, component] : built)
    if (built_name == name) return std::shared_ptr<Component>(running, component.get());
  return nullptr;
}

}  // namespace

std::string LoadError::message() const { return host::to_string(host::ConfigErrors{errors}); }

struct ConfigWatch::Impl {
  host::ConfigWatch watch;
};

ConfigWatch::ConfigWatch(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
ConfigWatch::ConfigWatch(ConfigWatch&&) noexcept = default;
ConfigWatch& ConfigWatch::operator=(ConfigWatch&&) noexcept = default;
ConfigWatch::~ConfigWatch() = default;

struct Runtime::Impl {
  std::unique_ptr<host::Runtime> runtime;

  static std::expected<Runtime, LoadError> build(host::ConfigReading reading, RuntimeOptions options) {
    if (!reading.errors.errors.empty())
      return std::unexpected(LoadError{host::in_file_order(std::move(reading.errors.errors))});
    host::RuntimeOptions host_options;
    host_options.clock = std::move(options.clock);
    host_options.random = std::move(options.random);
    host_options.logger = std::move(options.logger);
    host_options.extra_observers = std::move(options.observers);
    host_options.overrides = std::move(options.overrides);
    auto built = host::build_runtime(reading.config, std::move(host_options));
    if (!built) return std::unexpected(LoadError{host::in_file_order(std::move(built.error().errors))});
    auto impl = std::make_unique<Impl>();
    impl->runtime = std::move(*built);
    return Runtime(std::move(impl));
  }
};

std::expected<Runtime, LoadError> Runtime::load(const std::filesystem::path& file, RuntimeOptions options) {
  host::ConfigReading reading = host::read_config_file(file, {}, options.overrides);
  return Impl::build(std::move(reading), std::move(options));
}

std::expected<Runtime, LoadError> Runtime::from_text(std::string_view toml_text, std::string label,
                                                     RuntimeOptions options) {
  host::ConfigReading reading = host::read_config_text(toml_text, std::move(label), {}, options.overrides);
  return Impl::build(std::move(reading), std::move(options));
}

Runtime::Runtime(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
Runtime::Runtime(Runtime&&) noexcept = default;
Runtime& Runtime::operator=(Runtime&&) noexcept = default;
Runtime::~Runtime() = default;

Executor& Runtime::executor() const noexcept { return *impl_->runtime->executor; }

std::uint64_t Runtime::generation() const noexcept { return impl_->runtime->executor->generation(); }

ReloadResult Runtime::reload() { return to_public(impl_->runtime->reload()); }

ReloadResult Runtime::apply(std::string_view toml_text, std::string label) {
  return to_public(impl_->runtime->apply(toml_text, std::move(label)));
}

std::expected<ConfigWatch, std::string> Runtime::watch(WatchOptions options) {
  host::WatchOptions host_options{.debounce = options.debounce, .on_result = {}};
  if (options.on_result)
    host_options.on_result = [on_result = std::move(options.on_result)](const host::ReloadResult& result) {
      on_result(to_public(result));
    };
  auto watch = impl_->runtime->watch(std::move(host_options));
  if (!watch) return std::unexpected(std::move(watch.error()));
  auto impl = std::make_unique<ConfigWatch::Impl>(ConfigWatch::Impl{std::move(*watch)});
  return ConfigWatch(std::move(impl));
}

std::filesystem::path Runtime::config_file() const { return impl_->runtime->running()->config.file; }

std::vector<LoadedPlugin> Runtime::plugins() const {
  const auto running = impl_->runtime->running();
  std::vector<LoadedPlugin> out;
  for (const host::PluginInfo& plugin : running->plugins.plugins())
    out.push_back(LoadedPlugin{plugin.name, plugin.version, plugin.file, plugin.fingerprint, plugin.components});
  return out;
}

std::shared_ptr<Budget> Runtime::budget(std::string_view name) const {
  const auto running = impl_->runtime->running();
  return named(running, running->budgets, name);
}

Logger& Runtime::logger() const noexcept { return *impl_->runtime->logger; }

std::shared_ptr<Observer> Runtime::observer(std::string_view name) const {
  const auto running = impl_->runtime->running();
  return named(running, running->observers, name);
}

}  // namespace recourse
