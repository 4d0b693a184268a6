// Fuzz target: precheck_elf (host/plugins/elf_precheck.cpp, compiled in), the ELF and
// `.recourse_plugin` stamp check a plugin file passes before dlopen. Seeds are small stripped
// plugins (good and refused stamps) and cut-off copies. Properties: it never crashes or reads
// past the span (ASan); a refusal is one non-empty line; an accepted file is for this machine,
// has a PT_LOAD segment and a stamp; the answer is the same when asked twice; and a file cut
// short inside its program headers is refused (the truncated-copy case it exists for).
#include <elf.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "elf_precheck.hpp"
#include "fuzz_check.hpp"

using recourse::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> file(reinterpret_cast<const std::byte*>(data), size);
  const auto facts = recourse::host::precheck_elf(file);
  const auto again = recourse::host::precheck_elf(file);
  check(facts.has_value() == again.has_value(), "the same bytes get the same answer");
  if (!facts) {
    check(!facts.error().empty(), "a refusal has a reason");
    check(facts.error().find('\n') == std::string::npos, "a refusal is one line", facts.error().substr(0, 200));
    check(again.error() == facts.error(), "the same bytes get the same reason", facts.error().substr(0, 200));
    return 0;
  }
  check(facts->load_segments >= 1, "an accepted file has a PT_LOAD segment");
  check(facts->machine == again->machine && facts->load_segments == again->load_segments, "the same facts twice");
  check(!facts->stamp.compiler.empty() || !facts->stamp.recourse_version.empty() || facts->stamp.abi_major != 0,
        "an accepted file has a stamp");
  // Cut inside the program header table: must be refused, never read past.
  Elf64_Ehdr header;
  check(size >= sizeof header, "an accepted file holds an ELF header");
  std::memcpy(&header, data, sizeof header);
  if (header.e_phnum > 0 && header.e_phoff < size) {
    const std::size_t cut = static_cast<std::size_t>(header.e_phoff) + header.e_phentsize / 2;
    if (cut < size) check(!recourse::host::precheck_elf(file.first(cut)), "a file cut inside its program headers is refused");
  }
  return 0;
}
