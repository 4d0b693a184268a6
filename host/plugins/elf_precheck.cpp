// precheck_elf (see elf_precheck.hpp): everything here reads from the byte span only, with each
// offset and size taken from the file checked against the span before it is used. Structures
// are memcpy'd out (the span has no alignment promise); their byte order is the host's once
// EI_DATA says the file's is.
#include "elf_precheck.hpp"

#include <elf.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "recourse/fingerprint.h"

namespace recourse::host {
namespace {

#if defined(__x86_64__)
constexpr std::uint16_t host_machine = EM_X86_64;
#elif defined(__aarch64__)
constexpr std::uint16_t host_machine = EM_AARCH64;
#elif defined(__riscv) && __riscv_xlen == 64
constexpr std::uint16_t host_machine = EM_RISCV;
#elif defined(__powerpc64__)
constexpr std::uint16_t host_machine = EM_PPC64;
#elif defined(__s390x__)
constexpr std::uint16_t host_machine = EM_S390;
#else
#error "elf_precheck: add this machine's EM_ value"
#endif

constexpr unsigned char host_data = std::endian::native == std::endian::little ? ELFDATA2LSB : ELFDATA2MSB;

using Failure = std::unexpected<std::string>;

std::string n(std::uint64_t value) { return std::to_string(value); }

// A name read from the file, fit for a one-line reason: a corrupt or hostile file must not put
// newlines, terminal escapes or kilobytes into it. Printable ASCII is kept, anything else is
// \xNN, and past 64 bytes it is cut with "…".
std::string shown_name(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size() && i < 64; ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (name.size() > 64) out += "...";
  return out;
}

std::string machine_name(std::uint16_t machine) {
  switch (machine) {
    case EM_X86_64: return "x86-64";
    case EM_386: return "i386";
    case EM_AARCH64: return "AArch64";
    case EM_ARM: return "ARM";
    case EM_RISCV: return "RISC-V";
    case EM_PPC64: return "PowerPC64";
    case EM_PPC: return "PowerPC";
    case EM_S390: return "s390";
    default: return "machine " + n(machine);
  }
}

std::string segment_name(std::uint32_t type) {
  switch (type) {
    case PT_LOAD: return "PT_LOAD";
    case PT_DYNAMIC: return "PT_DYNAMIC";
    case PT_INTERP: return "PT_INTERP";
    case PT_NOTE: return "PT_NOTE";
    case PT_PHDR: return "PT_PHDR";
    case PT_TLS: return "PT_TLS";
    case PT_GNU_EH_FRAME: return "PT_GNU_EH_FRAME";
    case PT_GNU_STACK: return "PT_GNU_STACK";
    case PT_GNU_RELRO: return "PT_GNU_RELRO";
    case PT_GNU_PROPERTY: return "PT_GNU_PROPERTY";
    default: return "type " + n(type);
  }
}

// [offset, offset + size) lies inside a file of `file_size` bytes, without overflowing.
bool inside(std::uint64_t offset, std::uint64_t size, std::uint64_t file_size) {
  return offset <= file_size && size <= file_size - offset;
}

// The end of [start, start + size), or nullopt when it does not fit in 64 bits.
std::optional<std::uint64_t> end_of(std::uint64_t start, std::uint64_t size) {
  if (size > UINT64_MAX - start) return std::nullopt;
  return start + size;
}

template <class T>
T read_at(std::span<const std::byte> file, std::uint64_t offset) {
  T value;
  std::memcpy(&value, file.data() + offset, sizeof value);
  return value;
}

std::string past_the_end(std::string_view what, std::uint64_t offset, std::uint64_t size, std::uint64_t file_size) {
  const auto end = end_of(offset, size);
  if (!end) return "corrupt: " + std::string(what) + " has offset " + n(offset) + " and size " + n(size) +
                   ", which overflow";
  return "truncated: " + std::string(what) + " needs bytes " + n(offset) + ".." + n(*end) + ", but the file is " +
         n(file_size) + " bytes (an interrupted copy or a full disk?)";
}

std::optional<std::string> check_identity(const Elf64_Ehdr& h) {
  if (h.e_ident[EI_CLASS] != ELFCLASS64)
    return h.e_ident[EI_CLASS] == ELFCLASS32 ? "not loadable here: a 32-bit ELF file (the host is 64-bit)"
                                             : "corrupt ELF header: unknown class " + n(h.e_ident[EI_CLASS]);
  if (h.e_ident[EI_DATA] != host_data)
    return h.e_ident[EI_DATA] == ELFDATA2MSB || h.e_ident[EI_DATA] == ELFDATA2LSB
               ? std::string("not loadable here: the file's byte order is not the host's")
               : "corrupt ELF header: unknown byte order " + n(h.e_ident[EI_DATA]);
  if (h.e_ident[EI_VERSION] != EV_CURRENT || h.e_version != EV_CURRENT)
    return "corrupt ELF header: version " + n(h.e_ident[EI_VERSION] != EV_CURRENT ? h.e_ident[EI_VERSION] : h.e_version) +
           " (expected 1)";
  if (h.e_type != ET_DYN) {
    switch (h.e_type) {
      case ET_EXEC: return "not a shared object: ELF type ET_EXEC (a fixed-address executable)";
      case ET_REL: return "not a shared object: ELF type ET_REL (an object file, not linked)";
      case ET_CORE: return "not a shared object: ELF type ET_CORE (a core dump)";
      default: return "not a shared object: unknown ELF type " + n(h.e_type);
    }
  }
  if (h.e_machine != host_machine)
    return "built for another machine: " + machine_name(h.e_machine) + ", the host is " + machine_name(host_machine);
  if (h.e_ehsize != sizeof(Elf64_Ehdr))
    return "corrupt ELF header: header size " + n(h.e_ehsize) + " (expected " + n(sizeof(Elf64_Ehdr)) + ")";
  return std::nullopt;
}

// The program headers: the table, each segment's file bytes, PT_LOAD sanity, and the segments
// the loader reads through memory (dynamic section, notes, TLS image…) inside a loaded one.
std::expected<std::size_t, std::string> check_segments(std::span<const std::byte> file, const Elf64_Ehdr& h) {
  if (h.e_phnum == 0) return Failure("not a shared object: no program headers");
  if (h.e_phnum == PN_XNUM) return Failure("corrupt ELF header: extended program header count is not supported");
  if (h.e_phentsize != sizeof(Elf64_Phdr))
    return Failure("corrupt ELF header: program header size " + n(h.e_phentsize) + " (expected " +
                   n(sizeof(Elf64_Phdr)) + ")");
  const std::uint64_t table_size = std::uint64_t{h.e_phnum} * sizeof(Elf64_Phdr);
  if (!inside(h.e_phoff, table_size, file.size()))
    return Failure(past_the_end("the program header table (" + n(h.e_phnum) + " entries)", h.e_phoff, table_size,
                                file.size()));

  std::vector<Elf64_Phdr> loads;
  std::vector<std::pair<std::size_t, Elf64_Phdr>> read_in_memory;
  bool dynamic = false;
  for (std::size_t i = 0; i < h.e_phnum; ++i) {
    const auto p = read_at<Elf64_Phdr>(file, h.e_phoff + i * sizeof(Elf64_Phdr));
    const std::string what = "segment " + n(i) + " (" + segment_name(p.p_type) + ")";
    if (!inside(p.p_offset, p.p_filesz, file.size()))
      return Failure(past_the_end(what, p.p_offset, p.p_filesz, file.size()));
    switch (p.p_type) {
      case PT_LOAD:
        if (p.p_filesz > p.p_memsz)
          return Failure("corrupt " + what + ": file size " + n(p.p_filesz) + " exceeds memory size " + n(p.p_memsz));
        if (p.p_align > 1 && !std::has_single_bit(p.p_align))
          return Failure("corrupt " + what + ": alignment " + n(p.p_align) + " is not a power of two");
        if (p.p_align > 1 && p.p_offset % p.p_align != p.p_vaddr % p.p_align)
          return Failure("corrupt " + what + ": offset " + n(p.p_offset) + " and address " + n(p.p_vaddr) +
                         " disagree modulo the alignment " + n(p.p_align));
        if (!end_of(p.p_vaddr, p.p_memsz))
          return Failure("corrupt " + what + ": address " + n(p.p_vaddr) + " plus size " + n(p.p_memsz) + " overflows");
        if (!loads.empty() && p.p_vaddr < loads.back().p_vaddr)
          return Failure("corrupt " + what + ": PT_LOAD segments are not in ascending address order");
        loads.push_back(p);
        break;
      case PT_DYNAMIC:
        dynamic = true;
        [[fallthrough]];
      case PT_PHDR:
      case PT_TLS:
      case PT_NOTE:
      case PT_GNU_PROPERTY:
      case PT_GNU_EH_FRAME:
        if (p.p_filesz > 0) read_in_memory.emplace_back(i, p);
        break;
      default: break;
    }
  }
  if (loads.empty()) return Failure("not a shared object: no PT_LOAD segment");
  if (!dynamic) return Failure("not a shared object: no PT_DYNAMIC segment");
  for (const auto& [i, p] : read_in_memory) {
    const auto end = end_of(p.p_vaddr, p.p_filesz);
    const bool mapped = end && std::ranges::any_of(loads, [&](const Elf64_Phdr& load) {
      return p.p_vaddr >= load.p_vaddr && *end <= load.p_vaddr + load.p_filesz;
    });
    if (!mapped)
      return Failure("corrupt segment " + n(i) + " (" + segment_name(p.p_type) +
                     "): its addresses lie outside the file bytes of every PT_LOAD segment");
  }
  return loads.size();
}

std::expected<PluginStampFacts, std::string> read_stamp(std::span<const std::byte> bytes) {
  const std::string_view section = RECOURSE_PLUGIN_STAMP_SECTION;
  constexpr std::size_t head = offsetof(RecoursePluginStamp, layout) + sizeof(RecoursePluginStamp::layout);
  if (bytes.size() < head)
    return Failure("its " + std::string(section) + " section is " + n(bytes.size()) + " bytes, too short for a stamp");
  RecoursePluginStamp stamp{};
  std::memcpy(&stamp, bytes.data(), head);
  if (std::memcmp(stamp.magic, RECOURSE_PLUGIN_STAMP_MAGIC, sizeof RECOURSE_PLUGIN_STAMP_MAGIC) != 0)
    return Failure("its " + std::string(section) + " section does not start with the stamp magic \"" +
                   RECOURSE_PLUGIN_STAMP_MAGIC + "\"");
  if (stamp.layout != RECOURSE_PLUGIN_STAMP_LAYOUT)
    return Failure("its stamp has layout " + n(stamp.layout) + "; this host reads layout " +
                   n(RECOURSE_PLUGIN_STAMP_LAYOUT) + " (rebuild the plugin against this recourse)");
  // Bytes after the stamp are padding (alignment, or AddressSanitizer's redzone after a global);
  // a second stamp cannot be there: two definitions of recourse_plugin_stamp do not link.
  if (bytes.size() < sizeof stamp)
    return Failure("its stamp (layout 1) is " + n(bytes.size()) + " bytes, expected " + n(sizeof stamp));
  std::memcpy(&stamp, bytes.data(), sizeof stamp);
  const auto text = [](const char* field, std::size_t size, std::string_view name) -> std::expected<std::string, std::string> {
    if (std::memchr(field, '\0', size) == nullptr)
      return Failure("its stamp's " + std::string(name) + " field is not NUL-terminated");
    return std::string(field);
  };
  auto compiler = text(stamp.compiler, sizeof stamp.compiler, "compiler");
  if (!compiler) return Failure(compiler.error());
  auto library = text(stamp.standard_library, sizeof stamp.standard_library, "standard_library");
  if (!library) return Failure(library.error());
  auto version = text(stamp.recourse_version, sizeof stamp.recourse_version, "recourse_version");
  if (!version) return Failure(version.error());
  return PluginStampFacts{stamp.abi_major, stamp.abi_minor,      std::move(*compiler), stamp.cxx_standard,
                          std::move(*library), stamp.cxx11_abi, std::move(*version)};
}

// The section headers: the table, the name table, each section's bytes, and the stamp.
std::expected<PluginStampFacts, std::string> check_sections(std::span<const std::byte> file, const Elf64_Ehdr& h) {
  const std::string section = RECOURSE_PLUGIN_STAMP_SECTION;
  if (h.e_shnum == 0 || h.e_shoff == 0)
    return Failure("not a recourse plugin: it has no section headers, so no " + section + " section");
  if (h.e_shentsize != sizeof(Elf64_Shdr))
    return Failure("corrupt ELF header: section header size " + n(h.e_shentsize) + " (expected " +
                   n(sizeof(Elf64_Shdr)) + ")");
  const std::uint64_t table_size = std::uint64_t{h.e_shnum} * sizeof(Elf64_Shdr);
  if (!inside(h.e_shoff, table_size, file.size()))
    return Failure(past_the_end("the section header table (" + n(h.e_shnum) + " entries)", h.e_shoff, table_size,
                                file.size()));
  if (h.e_shstrndx == SHN_UNDEF || h.e_shstrndx >= h.e_shnum)
    return Failure("corrupt ELF header: section name table index " + n(h.e_shstrndx) + " is out of range (" +
                   n(h.e_shnum) + " sections)");
  const auto section_at = [&](std::size_t i) { return read_at<Elf64_Shdr>(file, h.e_shoff + i * sizeof(Elf64_Shdr)); };
  const Elf64_Shdr names = section_at(h.e_shstrndx);
  if (names.sh_type == SHT_NOBITS || !inside(names.sh_offset, names.sh_size, file.size()))
    return Failure(past_the_end("the section name table", names.sh_offset, names.sh_size, file.size()));
  const auto name_of = [&](const Elf64_Shdr& s) -> std::optional<std::string_view> {
    if (s.sh_name >= names.sh_size) return std::nullopt;
    const char* start = reinterpret_cast<const char*>(file.data() + names.sh_offset + s.sh_name);
    const std::size_t room = names.sh_size - s.sh_name;
    const void* nul = std::memchr(start, '\0', room);
    if (nul == nullptr) return std::nullopt;
    return std::string_view(start, static_cast<const char*>(nul) - start);
  };

  std::optional<Elf64_Shdr> stamp;
  for (std::size_t i = 0; i < h.e_shnum; ++i) {
    const Elf64_Shdr s = section_at(i);
    if (s.sh_type == SHT_NULL) continue;
    const auto name = name_of(s);
    if (!name) return Failure("corrupt section " + n(i) + ": its name is outside the section name table");
    if (s.sh_type != SHT_NOBITS && !inside(s.sh_offset, s.sh_size, file.size()))
      return Failure(past_the_end("section " + n(i) + " (" + shown_name(*name) + ")", s.sh_offset, s.sh_size,
                                  file.size()));
    if (*name == section) {
      if (stamp) return Failure("corrupt: it has two " + section + " sections");
      stamp = s;
    }
  }
  if (!stamp)
    return Failure("not a recourse plugin: no " + section +
                   " section (RECOURSE_DECLARE_PLUGIN emits it; was it built against an older recourse?)");
  if (stamp->sh_type == SHT_NOBITS) return Failure("its " + section + " section holds no bytes in the file");
  return read_stamp(file.subspan(stamp->sh_offset, stamp->sh_size));
}

}  // namespace

std::expected<ElfFacts, std::string> precheck_elf(std::span<const std::byte> file) {
  if (file.empty()) return Failure("not a shared object: the file is empty");
  constexpr unsigned char magic[SELFMAG] = {ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3};
  if (file.size() < SELFMAG || std::memcmp(file.data(), magic, SELFMAG) != 0)
    return Failure("not a shared object: no ELF header");
  if (file.size() > EI_CLASS && std::to_integer<unsigned char>(file[EI_CLASS]) == ELFCLASS32)
    return Failure("not loadable here: a 32-bit ELF file (the host is 64-bit)");
  if (file.size() < sizeof(Elf64_Ehdr))
    return Failure("truncated: the file is " + n(file.size()) + " bytes, shorter than the " +
                   n(sizeof(Elf64_Ehdr)) + "-byte ELF header (an interrupted copy or a full disk?)");
  const auto h = read_at<Elf64_Ehdr>(file, 0);
  if (auto why = check_identity(h)) return Failure(std::move(*why));
  auto loads = check_segments(file, h);
  if (!loads) return Failure(std::move(loads.error()));
  auto stamp = check_sections(file, h);
  if (!stamp) return Failure(std::move(stamp.error()));
  return ElfFacts{h.e_machine, *loads, std::move(*stamp)};
}

}  // namespace recourse::host
