// The build fingerprint as macros, evaluated where they are expanded: in the core for its own
// fingerprint, in each plugin for the plugin's. A plugin built by another compiler, standard
// or standard library shows up as a different fingerprint and is refused before any of its
// C++ code runs.
#pragma once

#include <cstddef>  // defines _GLIBCXX_RELEASE and _GLIBCXX_USE_CXX11_ABI under libstdc++

#define RECOURSE_STRINGIFY_(x) #x
#define RECOURSE_STRINGIFY(x) RECOURSE_STRINGIFY_(x)

#if defined(__clang__)
#define RECOURSE_FINGERPRINT_COMPILER \
  "clang " RECOURSE_STRINGIFY(__clang_major__) "." RECOURSE_STRINGIFY(__clang_minor__) "." RECOURSE_STRINGIFY(__clang_patchlevel__)
#elif defined(__GNUC__)
#define RECOURSE_FINGERPRINT_COMPILER \
  "gcc " RECOURSE_STRINGIFY(__GNUC__) "." RECOURSE_STRINGIFY(__GNUC_MINOR__) "." RECOURSE_STRINGIFY(__GNUC_PATCHLEVEL__)
#else
#define RECOURSE_FINGERPRINT_COMPILER "unknown"
#endif

#if defined(_GLIBCXX_RELEASE)
#define RECOURSE_FINGERPRINT_STDLIB "libstdc++ " RECOURSE_STRINGIFY(_GLIBCXX_RELEASE)
#define RECOURSE_FINGERPRINT_CXX11_ABI _GLIBCXX_USE_CXX11_ABI
#elif defined(_LIBCPP_VERSION)
#define RECOURSE_FINGERPRINT_STDLIB "libc++ " RECOURSE_STRINGIFY(_LIBCPP_VERSION)
#define RECOURSE_FINGERPRINT_CXX11_ABI 0
#else
#define RECOURSE_FINGERPRINT_STDLIB "unknown"
#define RECOURSE_FINGERPRINT_CXX11_ABI 0
#endif
