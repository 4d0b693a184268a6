// A correct stamp whose descriptor then claims ABI 99: the runtime descriptor check, the second
// line behind the stamp, refuses it.
#include <recourse/plugin.h>

import recourse.plugin;

RECOURSE_DEFINE_PLUGIN_STAMP_OF_THIS_BUILD();

extern "C" __attribute__((visibility("default"))) const recourse::PluginDescriptor* recourse_plugin_descriptor() noexcept {
  static const recourse::PluginDescriptor descriptor{
      99, 0,
      {RECOURSE_FINGERPRINT_COMPILER, __cplusplus, RECOURSE_FINGERPRINT_STDLIB, RECOURSE_FINGERPRINT_CXX11_ABI,
       recourse::version.data()},
      "descriptor-disagrees", "1.0.0", nullptr, 0};
  return &descriptor;
}
