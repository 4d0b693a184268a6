// The one macro a plugin needs (macros cannot cross `import`). In exactly one source file of
// the plugin, after `import recourse.plugin;`:
//
//   RECOURSE_DECLARE_PLUGIN("http-classifier", "1.0.0",
//                           recourse::classifier_component<HttpClassifier>("http"))
//
// It defines the C-linkage `recourse_plugin_descriptor`, the only symbol the host looks up.
#pragma once

#include "recourse/fingerprint.h"

#define RECOURSE_DECLARE_PLUGIN(NAME, VERSION, ...)                                                         \
  extern "C" __attribute__((visibility("default"))) const ::recourse::PluginDescriptor*                      \
  recourse_plugin_descriptor() noexcept {                                                                  \
    static const ::recourse::PluginComponent components[] = {__VA_ARGS__};                                 \
    static const ::recourse::PluginDescriptor descriptor{                                                  \
        ::recourse::plugin_abi_major,                                                                      \
        ::recourse::plugin_abi_minor,                                                                      \
        {RECOURSE_FINGERPRINT_COMPILER, __cplusplus, RECOURSE_FINGERPRINT_STDLIB,                           \
         RECOURSE_FINGERPRINT_CXX11_ABI, ::recourse::version.data()},                                      \
        NAME,                                                                                              \
        VERSION,                                                                                           \
        components,                                                                                        \
        sizeof(components) / sizeof(components[0])};                                                       \
    return &descriptor;                                                                                    \
  }
