// Loading this build's plugins for a test, and creating components from TOML-like tables. Used
// by the host's plugin tests here and by each standard plugin's own tests
// (plugins/<category>/<name>/*_test.cpp), all in recourse_plugin_tests.
#pragma once

#include <boost/test/unit_test.hpp>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

import recourse.host.runtime;

namespace plugin_harness {

// Loads every plugin of this build (RECOURSE_PLUGIN_DIR).
inline const recourse::host::PluginSet& standard_plugins() {
  static const recourse::host::PluginSet set = [] {
    recourse::host::PluginSettings settings;
    settings.present = true;
    settings.paths.push_back(RECOURSE_PLUGIN_DIR);
    return recourse::host::PluginSet::load(settings);
  }();
  return set;
}

// A config table built in code: node("backend", "token_bucket").add("capacity", 10)…
struct Table {
  recourse::ConfigNode node;
  Table() { node.path = "test"; }
  Table& add(std::string key, recourse::ConfigNode value) {
    value.path = "test." + key;
    node.fields.push_back({std::move(key), std::move(value)});
    return *this;
  }
  Table& add(std::string key, long long v) { return add(std::move(key), integer(v)); }
  Table& add(std::string key, int v) { return add(std::move(key), integer(v)); }
  Table& add(std::string key, double v) {
    recourse::ConfigNode n;
    n.kind = recourse::ConfigNode::Kind::number;
    n.number = v;
    return add(std::move(key), n);
  }
  Table& add(std::string key, bool v) {
    recourse::ConfigNode n;
    n.kind = recourse::ConfigNode::Kind::boolean;
    n.boolean = v;
    return add(std::move(key), n);
  }
  Table& add(std::string key, const char* v) {
    recourse::ConfigNode n;
    n.kind = recourse::ConfigNode::Kind::string;
    n.string = v;
    return add(std::move(key), n);
  }
  static recourse::ConfigNode integer(long long v) {
    recourse::ConfigNode n;
    n.kind = recourse::ConfigNode::Kind::integer;
    n.integer = v;
    return n;
  }
};

// A string array as a table field: Table().add("retryable", string_array({"ENOENT"})).
inline recourse::ConfigNode string_array(std::initializer_list<const char*> items) {
  recourse::ConfigNode array;
  array.kind = recourse::ConfigNode::Kind::array;
  for (const char* item : items) {
    recourse::ConfigNode n;
    n.kind = recourse::ConfigNode::Kind::string;
    n.string = item;
    array.items.push_back(n);
  }
  return array;
}

// Host services for a component that needs none: no clock, no random source, no logger.
inline const recourse::PluginContext no_services{};

// The host's policy file reader alone, for providers that read policy files.
inline const recourse::host::ConfigPolicyFiles host_policy_files;
inline const recourse::PluginContext policy_file_services{nullptr, nullptr, nullptr, &host_policy_files};

// Creates component `name` of `category` from `table` with the given host services.
template <class Interface>
std::shared_ptr<Interface> create(recourse::ComponentCategory category, std::string_view name, const Table& table,
                                  const recourse::PluginContext& services) {
  BOOST_REQUIRE(category == recourse::CategoryOf<Interface>::value);
  const recourse::ConfigView view(table.node);
  const recourse::ComponentContext context{view, services, name};
  auto made = standard_plugins().template create<Interface>(name, context);
  BOOST_REQUIRE_MESSAGE(made.has_value(), (made ? std::string() : recourse::to_string(made.error().front())));
  return std::move(*made);
}

// The errors creating it gives (it must fail).
template <class Interface>
std::vector<recourse::ConfigError> errors_creating(recourse::ComponentCategory category, std::string_view name,
                                                   const Table& table, const recourse::PluginContext& services) {
  BOOST_REQUIRE(category == recourse::CategoryOf<Interface>::value);
  const recourse::ConfigView view(table.node);
  const recourse::ComponentContext context{view, services, name};
  auto made = standard_plugins().template create<Interface>(name, context);
  BOOST_REQUIRE_MESSAGE(!made.has_value(), "expected " << name << " to refuse its config");
  return made.error();
}

}  // namespace plugin_harness
