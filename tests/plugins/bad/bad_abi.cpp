// A plugin declaring an ABI major version the host does not speak, in its stamp and its
// descriptor alike: refused from the stamp, before dlopen runs anything in it.
#include <recourse/plugin.h>

import recourse.plugin;

RECOURSE_DEFINE_PLUGIN_STAMP(99, 0, RECOURSE_FINGERPRINT_COMPILER, __cplusplus, RECOURSE_FINGERPRINT_STDLIB,
                             RECOURSE_FINGERPRINT_CXX11_ABI, recourse::version.data());

extern "C" __attribute__((visibility("default"))) const recourse::PluginDescriptor* recourse_plugin_descriptor() noexcept {
  static const recourse::PluginDescriptor descriptor{
      99, 0,
      {RECOURSE_FINGERPRINT_COMPILER, __cplusplus, RECOURSE_FINGERPRINT_STDLIB, RECOURSE_FINGERPRINT_CXX11_ABI,
       recourse::version.data()},
      "bad-abi", "1.0.0", nullptr, 0};
  return &descriptor;
}
