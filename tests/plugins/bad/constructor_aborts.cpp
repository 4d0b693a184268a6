// A plugin with a wrong fingerprint whose global constructor aborts the process: the host must
// refuse it from its stamp without running that constructor (dlopen would run it).
#include <recourse/plugin.h>

#include <cstdlib>

import recourse.plugin;

RECOURSE_DEFINE_PLUGIN_STAMP(recourse::plugin_abi_major, recourse::plugin_abi_minor, "gcc 9.4.0", __cplusplus,
                             RECOURSE_FINGERPRINT_STDLIB, RECOURSE_FINGERPRINT_CXX11_ABI, recourse::version.data());

namespace {
struct AbortOnLoad {
  AbortOnLoad() { std::abort(); }
} abort_on_load;
}  // namespace

extern "C" __attribute__((visibility("default"))) const recourse::PluginDescriptor* recourse_plugin_descriptor() noexcept {
  std::abort();
}
