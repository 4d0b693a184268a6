// The one macro a plugin needs (macros cannot cross `import`). In exactly one source file of
// the plugin, after `import recourse.plugin;`:
//
//   RECOURSE_DECLARE_PLUGIN("http-classifier", "1.0.0",
//                           recourse::classifier_component<HttpClassifier>("http"))
//
// It defines two things. The stamp (`recourse_plugin_stamp`, in the `.recourse_plugin` section,
// see fingerprint.h): ABI version and build fingerprint as plain bytes, which the host reads
// from the file before loading it, so a mismatched plugin is refused without running any of its
// code. And the C-linkage `recourse_plugin_descriptor`, the only symbol the host looks up once
// the file is loaded; its fingerprint points into the stamp, so the two cannot disagree.
#pragma once

#include "recourse/fingerprint.h"

// The stamp with this build's ABI and fingerprint (after `import recourse.plugin;`).
#define RECOURSE_DEFINE_PLUGIN_STAMP_OF_THIS_BUILD()                                                        \
  RECOURSE_DEFINE_PLUGIN_STAMP(::recourse::plugin_abi_major, ::recourse::plugin_abi_minor,                  \
                               RECOURSE_FINGERPRINT_COMPILER, __cplusplus, RECOURSE_FINGERPRINT_STDLIB,     \
                               RECOURSE_FINGERPRINT_CXX11_ABI, ::recourse::version.data())

#define RECOURSE_DECLARE_PLUGIN(NAME, VERSION, ...)                                                         \
  RECOURSE_DEFINE_PLUGIN_STAMP_OF_THIS_BUILD();                                                             \
  extern "C" __attribute__((visibility("default"))) const ::recourse::PluginDescriptor*                      \
  recourse_plugin_descriptor() noexcept {                                                                  \
    static const ::recourse::PluginComponent components[] = {__VA_ARGS__};                                 \
    static const ::recourse::PluginDescriptor descriptor{                                                  \
        recourse_plugin_stamp.abi_major,                                                                   \
        recourse_plugin_stamp.abi_minor,                                                                   \
        {recourse_plugin_stamp.compiler, static_cast<long>(recourse_plugin_stamp.cxx_standard),             \
         recourse_plugin_stamp.standard_library, recourse_plugin_stamp.cxx11_abi,                          \
         recourse_plugin_stamp.recourse_version},                                                          \
        NAME,                                                                                              \
        VERSION,                                                                                           \
        components,                                                                                        \
        sizeof(components) / sizeof(components[0])};                                                       \
    return &descriptor;                                                                                    \
  }
