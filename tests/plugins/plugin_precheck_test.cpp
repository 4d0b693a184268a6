// The ELF pre-check and the file checks before it: truncated copies of a real plugin (which
// made dlopen die of SIGBUS), edited headers, FIFOs and other non-regular files (which made
// loading hang), empty and oversized files. Each is one refusal naming the file; the process
// goes on and the good plugin beside it loads.
#include <boost/test/unit_test.hpp>

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <expected>
#include <span>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "elf_precheck.hpp"
#include "loading_helpers.hpp"
#include "recourse/fingerprint.h"

import recourse.plugin;

namespace fs = std::filesystem;
using loading::expect_refusal;
using loading::load_from;
using loading::TempDir;

namespace {

// A real plugin's bytes, and where its headers are, for editing copies.
struct Image {
  std::string bytes = loading::read_file(loading::standard_plugin("grpc"));

  Elf64_Ehdr header() const { return at<Elf64_Ehdr>(0); }
  Elf64_Phdr segment(std::size_t i) const { return at<Elf64_Phdr>(header().e_phoff + i * sizeof(Elf64_Phdr)); }
  Elf64_Shdr section(std::size_t i) const { return at<Elf64_Shdr>(header().e_shoff + i * sizeof(Elf64_Shdr)); }
  std::size_t segment_offset(std::size_t i) const { return header().e_phoff + i * sizeof(Elf64_Phdr); }
  std::size_t section_offset(std::size_t i) const { return header().e_shoff + i * sizeof(Elf64_Shdr); }

  // The index of the first segment of `type`.
  std::size_t find_segment(std::uint32_t type) const {
    for (std::size_t i = 0; i < header().e_phnum; ++i)
      if (segment(i).p_type == type) return i;
    BOOST_FAIL("no segment of type " << type);
    return 0;
  }
  // The largest PT_LOAD segment (to cut a copy in its middle).
  Elf64_Phdr largest_load() const {
    Elf64_Phdr best{};
    for (std::size_t i = 0; i < header().e_phnum; ++i)
      if (segment(i).p_type == PT_LOAD && segment(i).p_filesz > best.p_filesz) best = segment(i);
    return best;
  }
  Elf64_Shdr stamp_section() const {
    const Elf64_Shdr names = section(header().e_shstrndx);
    for (std::size_t i = 0; i < header().e_shnum; ++i)
      if (std::string_view(bytes.data() + names.sh_offset + section(i).sh_name) == RECOURSE_PLUGIN_STAMP_SECTION)
        return section(i);
    BOOST_FAIL("no stamp section");
    return {};
  }

  template <class T>
  T at(std::size_t offset) const {
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof value);
    return value;
  }
  template <class T>
  void put(std::size_t offset, const T& value) {
    std::memcpy(bytes.data() + offset, &value, sizeof value);
  }
};

std::expected<recourse::host::ElfFacts, std::string> precheck(std::string_view bytes) {
  return recourse::host::precheck_elf(std::as_bytes(std::span(bytes.data(), bytes.size())));
}

// The edit makes the pre-check refuse with a reason containing `fragment`.
void expect_precheck_refuses(const std::function<void(Image&)>& edit, std::string_view fragment) {
  Image image;
  edit(image);
  const auto facts = precheck(image.bytes);
  BOOST_REQUIRE_MESSAGE(!facts.has_value(), "accepted, expected: " << fragment);
  BOOST_TEST(facts.error().find(fragment) != std::string::npos, "\"" << fragment << "\" not in: " << facts.error());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(plugin_precheck)

BOOST_AUTO_TEST_CASE(a_real_plugin_passes_and_its_stamp_is_this_build) {
  const Image image;
  const auto facts = precheck(image.bytes);
  BOOST_REQUIRE_MESSAGE(facts.has_value(), facts.error());
  BOOST_TEST(facts->load_segments >= 1u);
  BOOST_TEST(facts->stamp.abi_major == recourse::plugin_abi_major);
  BOOST_TEST(facts->stamp.abi_minor == recourse::plugin_abi_minor);
  const recourse::BuildFingerprint core = recourse::core_fingerprint();
  BOOST_TEST(facts->stamp.compiler == core.compiler);
  BOOST_TEST(facts->stamp.cxx_standard == core.cxx_standard);
  BOOST_TEST(facts->stamp.standard_library == core.standard_library);
  BOOST_TEST(facts->stamp.cxx11_abi == core.cxx11_abi);
  BOOST_TEST(facts->stamp.recourse_version == core.recourse_version);
}

// The section header table is the last thing in the file, so no strict prefix may pass.
BOOST_AUTO_TEST_CASE(every_prefix_of_a_real_plugin_is_refused) {
  const Image image;
  const std::size_t size = image.bytes.size();
  std::vector<std::size_t> cuts;
  for (std::size_t cut = 0; cut < size; cut += 1 + size / 499) cuts.push_back(cut);
  for (std::size_t cut = size > 200 ? size - 200 : 0; cut < size; ++cut) cuts.push_back(cut);
  for (const std::size_t cut : cuts) {
    const auto facts = precheck(std::string_view(image.bytes).substr(0, cut));
    BOOST_TEST(!facts.has_value(), "a " << cut << "-byte prefix of " << size << " bytes passed");
  }
}

BOOST_AUTO_TEST_CASE(truncated_copies_are_refused_naming_what_is_missing_and_the_rest_load) {
  const Image image;
  const Elf64_Phdr load = image.largest_load();
  const Elf64_Ehdr header = image.header();
  struct Cut {
    const char* name;
    std::size_t size;
    const char* says;
  };
  const Cut cuts[] = {
      {"empty", 0, "not a shared object: the file is empty"},
      {"magic", 3, "not a shared object: no ELF header"},
      {"in_header", 40, "truncated: the file is 40 bytes, shorter than the 64-byte ELF header"},
      {"header_only", 64, "truncated: the program header table"},
      {"in_program_headers", header.e_phoff + sizeof(Elf64_Phdr) * 3 / 2, "truncated: the program header table"},
      {"in_segment", load.p_offset + load.p_filesz / 2, "(PT_LOAD) needs bytes"},
      {"in_section_headers", image.bytes.size() - 10, "truncated: the section header table"},
  };
  TempDir dir;
  loading::copy_file(loading::standard_plugin("http"), dir.path / "librecourse-http.so");
  for (const Cut& cut : cuts)
    loading::write_file(dir.path / ("librecourse-cut_" + std::string(cut.name) + ".so"),
                        std::string_view(image.bytes).substr(0, cut.size));
  const auto set = load_from(dir.path);
  BOOST_REQUIRE_EQUAL(set.plugins().size(), 1u);
  BOOST_TEST(set.plugins()[0].name == "http");
  BOOST_REQUIRE_EQUAL(set.refusals().size(), std::size(cuts));
  for (const Cut& cut : cuts) {
    const std::string file = "librecourse-cut_" + std::string(cut.name) + ".so";
    const auto it = std::ranges::find_if(set.refusals(), [&](const auto& r) { return r.file.filename() == file; });
    BOOST_REQUIRE_MESSAGE(it != set.refusals().end(), file << " not refused");
    BOOST_TEST(it->reason.find(cut.says) != std::string::npos, file << ": \"" << cut.says << "\" not in: " << it->reason);
  }
}

BOOST_AUTO_TEST_CASE(headers_for_another_platform_or_kind_of_file_are_refused) {
  expect_precheck_refuses([](Image& i) { i.bytes[EI_CLASS] = ELFCLASS32; }, "a 32-bit ELF file");
  expect_precheck_refuses([](Image& i) { i.bytes[EI_DATA] = ELFDATA2MSB; }, "byte order is not the host's");
  expect_precheck_refuses([](Image& i) { i.bytes[EI_VERSION] = 7; }, "corrupt ELF header: version");
  expect_precheck_refuses([](Image& i) { i.put(offsetof(Elf64_Ehdr, e_type), std::uint16_t{ET_EXEC}); }, "ET_EXEC");
  expect_precheck_refuses([](Image& i) { i.put(offsetof(Elf64_Ehdr, e_type), std::uint16_t{ET_REL}); },
                          "an object file, not linked");
  expect_precheck_refuses([](Image& i) { i.put(offsetof(Elf64_Ehdr, e_machine), std::uint16_t{EM_S390 + 1000}); },
                          "built for another machine");
  expect_precheck_refuses([](Image& i) { i.put(offsetof(Elf64_Ehdr, e_ehsize), std::uint16_t{52}); }, "header size 52");
}

// Offsets and sizes near 2^64 must be refused, not wrap around into a "valid" range.
BOOST_AUTO_TEST_CASE(headers_pointing_outside_the_file_are_refused_without_overflow) {
  static constexpr std::uint64_t huge = std::numeric_limits<std::uint64_t>::max() - 8;
  expect_precheck_refuses([](Image& i) { i.put(offsetof(Elf64_Ehdr, e_phoff), huge); }, "the program header table");
  expect_precheck_refuses([](Image& i) { i.put(offsetof(Elf64_Ehdr, e_phentsize), std::uint16_t{32}); },
                          "program header size 32");
  expect_precheck_refuses([](Image& i) { i.put(offsetof(Elf64_Ehdr, e_phnum), std::uint16_t{0}); }, "no program headers");
  expect_precheck_refuses([](Image& i) { i.put(offsetof(Elf64_Ehdr, e_phnum), std::uint16_t{0x7fff}); },
                          "the program header table");
  expect_precheck_refuses(
      [](Image& i) { i.put(i.segment_offset(i.find_segment(PT_LOAD)) + offsetof(Elf64_Phdr, p_offset), huge); },
      "which overflow");
  expect_precheck_refuses(
      [](Image& i) { i.put(i.segment_offset(i.find_segment(PT_LOAD)) + offsetof(Elf64_Phdr, p_filesz), huge); },
      "(PT_LOAD) needs bytes");
  expect_precheck_refuses([](Image& i) { i.put(offsetof(Elf64_Ehdr, e_shoff), huge); }, "the section header table");
  expect_precheck_refuses([](Image& i) { i.put(offsetof(Elf64_Ehdr, e_shstrndx), i.header().e_shnum); },
                          "section name table index");
  expect_precheck_refuses([](Image& i) { i.put(offsetof(Elf64_Ehdr, e_shnum), std::uint16_t{0}); },
                          "no section headers");
}

BOOST_AUTO_TEST_CASE(unsound_segments_are_refused) {
  expect_precheck_refuses(
      [](Image& i) {
        const std::size_t at = i.segment_offset(i.find_segment(PT_LOAD));
        i.put(at + offsetof(Elf64_Phdr, p_memsz), i.at<std::uint64_t>(at + offsetof(Elf64_Phdr, p_filesz)) - 1);
      },
      "exceeds memory size");
  expect_precheck_refuses(
      [](Image& i) { i.put(i.segment_offset(i.find_segment(PT_LOAD)) + offsetof(Elf64_Phdr, p_align), std::uint64_t{3}); },
      "is not a power of two");
  expect_precheck_refuses(
      [](Image& i) {
        const std::size_t at = i.segment_offset(i.find_segment(PT_LOAD));
        i.put(at + offsetof(Elf64_Phdr, p_vaddr), i.at<std::uint64_t>(at + offsetof(Elf64_Phdr, p_vaddr)) + 1);
      },
      "disagree modulo the alignment");
  // The loader reads the dynamic section through memory: pointing it past every loaded byte
  // would make it fault.
  expect_precheck_refuses(
      [](Image& i) {
        i.put(i.segment_offset(i.find_segment(PT_DYNAMIC)) + offsetof(Elf64_Phdr, p_vaddr), std::uint64_t{1} << 40);
      },
      "(PT_DYNAMIC): its addresses lie outside");
  expect_precheck_refuses(
      [](Image& i) {
        i.put(i.segment_offset(i.find_segment(PT_DYNAMIC)) + offsetof(Elf64_Phdr, p_type), std::uint32_t{PT_NULL});
      },
      "no PT_DYNAMIC segment");
}

BOOST_AUTO_TEST_CASE(a_missing_or_malformed_stamp_is_refused) {
  expect_precheck_refuses(
      [](Image& i) {
        const Elf64_Shdr names = i.section(i.header().e_shstrndx);
        const std::size_t at = names.sh_offset + i.stamp_section().sh_name;
        i.bytes[at + 1] = 'X';  // ".Xecourse_plugin"
      },
      "not a recourse plugin: no .recourse_plugin section");
  expect_precheck_refuses([](Image& i) { i.bytes[i.stamp_section().sh_offset] = 'X'; }, "stamp magic");
  expect_precheck_refuses(
      [](Image& i) { i.put(i.stamp_section().sh_offset + offsetof(RecoursePluginStamp, layout), std::uint32_t{2}); },
      "its stamp has layout 2; this host reads layout 1");
  expect_precheck_refuses(
      [](Image& i) {
        const std::size_t at = i.stamp_section().sh_offset + offsetof(RecoursePluginStamp, compiler);
        std::memset(i.bytes.data() + at, 'x', sizeof(RecoursePluginStamp::compiler));
      },
      "its stamp's compiler field is not NUL-terminated");
  expect_precheck_refuses(
      [](Image& i) {
        // Find the stamp's section header again and shrink it.
        for (std::size_t s = 0; s < i.header().e_shnum; ++s)
          if (i.section(s).sh_offset == i.stamp_section().sh_offset && i.section(s).sh_name == i.stamp_section().sh_name)
            i.put(i.section_offset(s) + offsetof(Elf64_Shdr, sh_size), std::uint64_t{100});
      },
      "its stamp (layout 1) is 100 bytes, expected 200");
}

// Not a fuzzer (tests/fuzz has that), a deterministic smoke of the same idea, run under ASan
// and UBSan by their presets: edits to the header, program header and section header bytes,
// and cuts, give an answer, never a read outside the span.
BOOST_AUTO_TEST_CASE(random_edits_of_the_headers_give_an_answer_and_read_nothing_outside_the_file) {
  const Image original;
  const Elf64_Ehdr h = original.header();
  const std::size_t regions[][2] = {{0, sizeof(Elf64_Ehdr)},
                                    {h.e_phoff, h.e_phoff + h.e_phnum * sizeof(Elf64_Phdr)},
                                    {h.e_shoff, h.e_shoff + h.e_shnum * sizeof(Elf64_Shdr)}};
  std::uint64_t state = 0x9e3779b97f4a7c15ull;
  const auto next = [&state] {  // SplitMix64
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  std::size_t accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string bytes = original.bytes;
    for (int edit = 0, edits = 1 + static_cast<int>(next() % 4); edit < edits; ++edit) {
      const auto& region = regions[next() % std::size(regions)];
      bytes[region[0] + next() % (region[1] - region[0])] = static_cast<char>(next());
    }
    if (next() % 4 == 0) bytes.resize(next() % bytes.size());
    if (precheck(bytes)) ++accepted;
  }
  BOOST_TEST_MESSAGE(accepted << " of 3000 edited copies passed the pre-check");
}

BOOST_AUTO_TEST_CASE(an_edited_header_in_a_plugin_directory_is_refused_and_the_rest_load) {
  Image image;
  image.put(offsetof(Elf64_Ehdr, e_phoff), std::numeric_limits<std::uint64_t>::max() - 8);
  TempDir dir;
  loading::copy_file(loading::standard_plugin("http"), dir.path / "librecourse-http.so");
  loading::write_file(dir.path / "librecourse-corrupt.so", image.bytes);
  const auto set = load_from(dir.path);
  BOOST_TEST(set.plugins().size() == 1u);
  expect_refusal(set, {"librecourse-corrupt.so", "the program header table"});
}

// Opening a FIFO for reading waits for a writer: every command loading the directory hung.
BOOST_AUTO_TEST_CASE(a_fifo_named_like_a_plugin_is_refused_without_waiting) {
  TempDir dir;
  loading::copy_file(loading::standard_plugin("http"), dir.path / "librecourse-http.so");
  BOOST_REQUIRE(::mkfifo((dir.path / "librecourse-fifo.so").c_str(), 0644) == 0);
  for (const bool allow_insecure : {false, true}) {
    const auto set = load_from(dir.path, allow_insecure);
    BOOST_TEST(set.plugins().size() == 1u);
    expect_refusal(
        set, {"librecourse-fifo.so", "not a regular file (it is a FIFO (named pipe)); only regular files are loaded"});
  }
}

BOOST_AUTO_TEST_CASE(devices_directories_and_sockets_named_like_plugins_are_refused) {
  TempDir dir;
  fs::create_symlink("/dev/null", dir.path / "librecourse-null.so");
  const auto devices = load_from(dir.path);
  expect_refusal(devices, {"librecourse-null.so", "not a regular file (it is a character device)"});
  fs::remove(dir.path / "librecourse-null.so");
  loading::make_dir(dir.path / "librecourse-dir.so");
  expect_refusal(load_from(dir.path), {"librecourse-dir.so", "not a regular file (it is a directory)"});
}

BOOST_AUTO_TEST_CASE(an_implausibly_large_file_is_refused_before_it_is_read) {
  TempDir dir;
  const fs::path file = loading::write_file(dir.path / "librecourse-huge.so", "\x7f" "ELF");
  fs::resize_file(file, (std::uintmax_t{256} << 20) + 1);  // sparse: no disk used
  expect_refusal(load_from(dir.path), {"librecourse-huge.so", "is 268435457 bytes, more than the 256 MiB a plugin may be"});
}

BOOST_AUTO_TEST_SUITE_END()
