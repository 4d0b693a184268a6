// A plugin whose build fingerprint names another compiler, in its stamp and its descriptor
// alike: refused from the stamp, naming the field.
#include <recourse/plugin.h>

import recourse.plugin;

RECOURSE_DEFINE_PLUGIN_STAMP(recourse::plugin_abi_major, recourse::plugin_abi_minor, "gcc 9.4.0", __cplusplus,
                             RECOURSE_FINGERPRINT_STDLIB, RECOURSE_FINGERPRINT_CXX11_ABI, recourse::version.data());

extern "C" __attribute__((visibility("default"))) const recourse::PluginDescriptor* recourse_plugin_descriptor() noexcept {
  static const recourse::PluginDescriptor descriptor{
      recourse::plugin_abi_major, recourse::plugin_abi_minor,
      {"gcc 9.4.0", __cplusplus, RECOURSE_FINGERPRINT_STDLIB, RECOURSE_FINGERPRINT_CXX11_ABI, recourse::version.data()},
      "bad-fingerprint", "1.0.0", nullptr, 0};
  return &descriptor;
}
