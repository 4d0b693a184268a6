// A hand-written descriptor whose budget component fills the classifier's factory: the host
// would call a budget factory that is not there (or a classifier's as a budget), so it refuses
// the plugin before creating anything.
#include <recourse/plugin.h>

#include "test_components.hpp"

import recourse.plugin;

RECOURSE_DEFINE_PLUGIN_STAMP_OF_THIS_BUILD();

extern "C" __attribute__((visibility("default"))) const recourse::PluginDescriptor*
recourse_plugin_descriptor() noexcept {
  static const recourse::PluginComponent components[]{
      {recourse::ComponentCategory::budget, "mislabelled",
       recourse::ComponentFactories{
           .classifier = &recourse::create_component<recourse::Classifier, test_plugins::SuccessClassifier>}}};
  static const recourse::PluginDescriptor descriptor{
      recourse::plugin_abi_major,
      recourse::plugin_abi_minor,
      {RECOURSE_FINGERPRINT_COMPILER, __cplusplus, RECOURSE_FINGERPRINT_STDLIB, RECOURSE_FINGERPRINT_CXX11_ABI,
       recourse::version.data()},
      "wrong-factory",
      "1.0.0",
      components,
      1};
  return &descriptor;
}
