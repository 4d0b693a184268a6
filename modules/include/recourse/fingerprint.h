// The build fingerprint, as macros evaluated where they are expanded (in the core for its own
// fingerprint, in each plugin for the plugin's), and as the fixed layout a plugin carries in its
// `.recourse_plugin` ELF section. The host reads that section from the file's bytes and refuses
// an ABI or fingerprint mismatch before dlopen, so a refused plugin's code (its global
// constructors, its descriptor function) never runs. Plain C layout on purpose: the host's
// pre-check (host/plugins/elf_precheck.cpp) parses it without loading anything.
#pragma once

#include <cstddef>  // defines _GLIBCXX_RELEASE and _GLIBCXX_USE_CXX11_ABI under libstdc++
#include <cstdint>

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

// The section, its magic and the layout version below. A new layout gets a new number; a host
// refuses a layout it does not know rather than guess at its fields.
#define RECOURSE_PLUGIN_STAMP_SECTION ".recourse_plugin"
#define RECOURSE_PLUGIN_STAMP_MAGIC "recourse-plugin"
#define RECOURSE_PLUGIN_STAMP_LAYOUT 1

// Layout 1: 200 bytes at the start of the section (the compiler may pad the section after it),
// integers in the file's (= the host's, little-endian) byte order, every
// string NUL-terminated inside its array. The strings are the fingerprint fields of
// recourse::BuildFingerprint, the numbers are recourse::plugin_abi_major/minor.
struct RecoursePluginStamp {
  char magic[16];              // RECOURSE_PLUGIN_STAMP_MAGIC, NUL-padded
  std::uint32_t layout;        // RECOURSE_PLUGIN_STAMP_LAYOUT
  std::uint32_t abi_major;
  std::uint32_t abi_minor;
  std::int32_t cxx11_abi;      // _GLIBCXX_USE_CXX11_ABI
  std::int64_t cxx_standard;   // __cplusplus
  char compiler[64];           // "clang 19.1.7"
  char standard_library[64];   // "libstdc++ 12"
  char recourse_version[32];   // "0.1.0"
};
static_assert(sizeof(RecoursePluginStamp) == 200, "the stamp layout is part of the plugin ABI");
static_assert(offsetof(RecoursePluginStamp, cxx_standard) == 32 && offsetof(RecoursePluginStamp, compiler) == 40,
              "the stamp layout is part of the plugin ABI");

namespace recourse_stamp_detail {

// Copies `text` into `out`, NUL-padded. A string that does not fit is not truncated (a cut
// fingerprint would compare unequal for the wrong reason): constant evaluation stops here.
template <std::size_t N>
constexpr void copy(char (&out)[N], const char* text) {
  std::size_t i = 0;
  for (; text[i] != '\0'; ++i) {
    if (i + 1 >= N) throw "a recourse plugin stamp string does not fit its field";
    out[i] = text[i];
  }
  for (; i < N; ++i) out[i] = '\0';
}

constexpr RecoursePluginStamp make(std::uint32_t abi_major, std::uint32_t abi_minor, const char* compiler,
                                   std::int64_t cxx_standard, const char* standard_library, std::int32_t cxx11_abi,
                                   const char* recourse_version) {
  RecoursePluginStamp stamp{};
  copy(stamp.magic, RECOURSE_PLUGIN_STAMP_MAGIC);
  stamp.layout = RECOURSE_PLUGIN_STAMP_LAYOUT;
  stamp.abi_major = abi_major;
  stamp.abi_minor = abi_minor;
  stamp.cxx11_abi = cxx11_abi;
  stamp.cxx_standard = cxx_standard;
  copy(stamp.compiler, compiler);
  copy(stamp.standard_library, standard_library);
  copy(stamp.recourse_version, recourse_version);
  return stamp;
}

}  // namespace recourse_stamp_detail

// Defines the plugin's stamp, `recourse_plugin_stamp`, in its section. RECOURSE_DECLARE_PLUGIN
// expands it with this build's values; tests expand it with wrong ones. `used` and `retain`
// keep it through the compiler and the linker's --gc-sections; constinit makes a string that
// does not fit a compile error.
#define RECOURSE_DEFINE_PLUGIN_STAMP(ABI_MAJOR, ABI_MINOR, COMPILER, CXX_STANDARD, STDLIB, CXX11_ABI, VERSION) \
  extern "C" __attribute__((section(RECOURSE_PLUGIN_STAMP_SECTION), used, retain, visibility("hidden")))   \
  constinit const RecoursePluginStamp recourse_plugin_stamp =                                                \
      ::recourse_stamp_detail::make(ABI_MAJOR, ABI_MINOR, COMPILER, CXX_STANDARD, STDLIB, CXX11_ABI, VERSION)
