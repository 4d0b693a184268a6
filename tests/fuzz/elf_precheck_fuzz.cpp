// Fuzz target: precheck_elf (host/plugins/elf_precheck.cpp, compiled in), the ELF and
// `.recourse_plugin` stamp check a plugin file passes before dlopen. Seeds are small stripped
// plugins (good and refused stamps) and cut-off copies. Properties: it never crashes or reads
// past the span (ASan); a refusal is one non-empty line; an accepted file is for this machine,
// has a PT_LOAD segment and holds the stamp magic, its stamp texts NUL-free; the answer is the
// same when asked twice; and a file cut short inside its program headers is refused (the
// truncated-copy case it exists for). (Whether the stamp's ABI and fingerprint match is the
// caller's question, not this function's: a zeroed stamp is well-formed.)
#include <elf.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "elf_precheck.hpp"
#include "recourse/fingerprint.h"
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
  // The stamp was read from the file: its magic is in it, and its texts are NUL-free.
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check(bytes.find(std::string_view(RECOURSE_PLUGIN_STAMP_MAGIC, sizeof RECOURSE_PLUGIN_STAMP_MAGIC)) != std::string_view::npos,
        "an accepted file holds the stamp magic");
  for (const std::string* text : {&facts->stamp.compiler, &facts->stamp.standard_library, &facts->stamp.recourse_version})
    check(text->find('\0') == std::string::npos && text->size() < size, "stamp texts come whole from the file", *text);
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
