// The `toml_file` policy provider: policies ([defaults], [policies."…"]) from another TOML
// file, read by the host's own strict loader (PluginContext::policy_files), so errors read as
// the main config's do and the plugin links no TOML library. A relative path is relative to
// the config file that names it. When a config has a [provider], its own policy tables are not
// used.
//
// [provider] plugin = "toml_file", path = "policies/payments.toml"
#include <recourse/plugin.h>

#include <chrono>  // the std operators on Duration are not visible through import alone

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

import recourse.core;  // StaticPolicyProvider

namespace recourse::plugins {

class TomlFileProvider final : public PolicyProvider {
 public:
  explicit TomlFileProvider(const ComponentContext& context) : provider_(load(context)) {}

  std::optional<ResolvedPolicy> policy_for(const Key& key) const override { return provider_.policy_for(key); }

 private:
  static PolicyTable load(const ComponentContext& context) {
    static constexpr std::string_view known[]{"plugin", "path"};
    std::vector<ConfigError> errors = context.config.unknown_fields(known);
    auto path = context.config.string("path");
    if (!path) errors.push_back(path.error());
    else if (!*path || (*path)->empty()) errors.push_back(context.config.error("path", "a toml_file provider needs path = \"…\""));
    if (!errors.empty()) throw ConfigException(std::move(errors));

    if (context.host.policy_files == nullptr)
      throw ConfigException(context.config.error("", "this host reads no policy files (PluginContext::policy_files)"));
    std::filesystem::path file(**path);
    if (file.is_relative()) file = std::filesystem::path(context.config.where().file).parent_path() / file;
    auto policies = context.host.policy_files->read(file);
    if (!policies) throw ConfigException(std::move(policies.error()));
    return std::move(*policies);
  }

  StaticPolicyProvider provider_;
};

}  // namespace recourse::plugins

RECOURSE_DECLARE_PLUGIN("toml_file", "1.0.0",
                        recourse::provider_component<recourse::plugins::TomlFileProvider>("toml_file"))
