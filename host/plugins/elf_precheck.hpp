// The pre-check a plugin file passes before dlopen sees it: a pure function over the file's
// bytes that checks the ELF structure against the file size (so a truncated copy is refused
// instead of faulting with SIGBUS inside the loader) and reads the plugin's stamp (ABI version,
// build fingerprint) from its `.recourse_plugin` section (so a mismatched plugin is refused
// before any of its code runs). No Boost, no module, no I/O: the loader and the libFuzzer
// target both call it.
//
//   std::vector<std::byte> bytes = …;   // the whole file, read from the descriptor to be loaded
//   auto facts = recourse::host::precheck_elf(bytes);
//   if (!facts) refuse(facts.error());   // "truncated: program header 3 (PT_LOAD) ends at …"
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string>

namespace recourse::host {

// The stamp as read from the file (fingerprint.h, RecoursePluginStamp layout 1).
struct PluginStampFacts {
  std::uint32_t abi_major = 0;
  std::uint32_t abi_minor = 0;
  std::string compiler;
  std::int64_t cxx_standard = 0;
  std::string standard_library;
  std::int32_t cxx11_abi = 0;
  std::string recourse_version;
};

struct ElfFacts {
  std::uint16_t machine = 0;          // e_machine, equal to the host's
  std::size_t load_segments = 0;      // PT_LOAD program headers, at least one
  PluginStampFacts stamp;
};

// Checks, in this order, each failure a one-line reason (without the file's name: the caller
// adds it): the ELF magic; 64-bit, little-endian, ELF version 1, ET_DYN, the host's machine;
// the program header table inside the file and every segment's file bytes inside the file
// (PT_LOAD: file size <= memory size, power-of-two alignment, offset and address congruent,
// ascending addresses); a PT_DYNAMIC segment; the section header table and every section's bytes
// inside the file; exactly one `.recourse_plugin` section starting with a well-formed stamp
// (what follows the stamp in the section is padding). All
// arithmetic on file-supplied numbers is overflow-checked. Never throws for any input (it may
// throw std::bad_alloc only).
std::expected<ElfFacts, std::string> precheck_elf(std::span<const std::byte> file);

}  // namespace recourse::host
