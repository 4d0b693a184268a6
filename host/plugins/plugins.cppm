// recourse.host.plugins — finds, checks and loads plugin shared objects, and creates their
// components. Loading code from a path is code execution: a path through any directory (or
// symlink) writable by group or others, or owned by someone other than this user or root, is
// refused unless [plugins] allow_insecure = true. Before dlopen, with none of the plugin's code
// run, the file must be a regular file with a sound ELF image whose .recourse_plugin stamp
// matches the host's ABI and build fingerprint. Every refusal says which file and why, and
// loading goes on with the other plugins. POSIX and loader types stay in the implementation.
module;
#include <exception>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

export module recourse.host.plugins;

export import recourse.core;
export import recourse.host.config;

export namespace recourse::host {

struct PluginInfo {
  std::filesystem::path file;
  std::string name;
  std::string version;
  std::string fingerprint;  // "clang 19.1.7, C++ 202302, libstdc++ 12 (cxx11 ABI 1), recourse 0.1.0"
  std::vector<std::pair<ComponentCategory, std::string>> components;
};

struct PluginRefusal {
  std::filesystem::path file;
  std::string reason;
};

class PluginSet {
 public:
  PluginSet();
  ~PluginSet();
  PluginSet(PluginSet&&) noexcept;
  PluginSet& operator=(PluginSet&&) noexcept;

  // Loads what `settings` asks for. Never throws for a bad plugin: it becomes a refusal.
  static PluginSet load(const PluginSettings& settings);

  const std::vector<PluginInfo>& plugins() const noexcept;
  const std::vector<PluginRefusal>& refusals() const noexcept;
  bool provides(ComponentCategory category, std::string_view name) const noexcept;
  std::vector<std::string> names(ComponentCategory category) const;

  // Creates the `Interface` component called `name` through its typed factory. The object keeps
  // its library loaded until it is destroyed, whatever happens to this PluginSet.
  template <class Interface>
  std::expected<std::shared_ptr<Interface>, std::vector<ConfigError>> create(std::string_view name,
                                                                             const ComponentContext& context) const {
    auto found = find(CategoryOf<Interface>::value, name, context);
    if (!found) return std::unexpected(std::move(found.error()));
    const Factory<Interface> factory = found->component->create.*CategoryOf<Interface>::factory;
    Interface* object = nullptr;
    try {
      object = factory(context);
    } catch (...) {
      return std::unexpected(factory_failed(*found, context, std::current_exception()));
    }
    if (object == nullptr) return std::unexpected(factory_failed(*found, context, nullptr));
    // The deleter runs the plugin's destructor first, then lets go of the library.
    return std::shared_ptr<Interface>(object, [library = std::move(found->library)](Interface* o) { delete o; });
  }

 private:
  struct Found {
    const PluginComponent* component;
    std::shared_ptr<void> library;
    std::string file;
  };
  std::expected<Found, std::vector<ConfigError>> find(ComponentCategory category, std::string_view name,
                                                      const ComponentContext& context) const;
  // A factory that threw (`error`) or returned null (`error` empty), as config errors:
  // ConfigException's own errors, otherwise "… failed to start: <what>".
  static std::vector<ConfigError> factory_failed(const Found& found, const ComponentContext& context,
                                                 std::exception_ptr error);

  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace recourse::host
