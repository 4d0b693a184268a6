// etcd_document.hpp. A part's comment line carries its key and mod_revision, so the composed
// text (which the cache_file holds in prefix mode) says where each piece came from.
#include "etcd_document.hpp"

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>

namespace recourse::plugins::etcd_provider {
namespace {

// The first line that is not blank or a comment starts a table ("[" or "[[").
bool starts_with_table(std::string_view text) {
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    const auto first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && line[first] != '#') return line[first] == '[';
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return true;  // nothing but comments: it adds nothing to any table
}

std::size_t parse_number(std::string_view text, std::size_t& at) {
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(text.data() + at, text.data() + text.size(), value);
  if (error != std::errc() || end == text.data() + at) return 0;
  at = static_cast<std::size_t>(end - text.data());
  return value;
}

}  // namespace

std::string label_of(std::string_view key) { return "etcd:" + std::string(key); }

ComposedDocument compose(const PrefixValues& values) {
  ComposedDocument document;
  std::size_t line = 1;
  for (const auto& [key, stored] : values) {
    document.text += "# ---- etcd key " + key + " (mod_revision " + std::to_string(stored.mod_revision) + ") ----\n";
    ++line;
    const auto lines = static_cast<std::size_t>(std::ranges::count(stored.value, '\n')) +
                       (stored.value.empty() || stored.value.back() == '\n' ? 0 : 1);
    document.parts.push_back({key, line, lines});
    document.text += stored.value;
    if (!stored.value.empty() && stored.value.back() != '\n') document.text += '\n';
    line += lines;
    document.revision = std::max(document.revision, stored.mod_revision);
    if (!starts_with_table(stored.value))
      document.errors.push_back(label_of(key) +
                                ":1:1: a value under a prefix starts with a table header ([defaults] or "
                                "[policies.\"…\"]); keys before it would join the table the previous key's "
                                "value ends with");
  }
  return document;
}

std::string relocate(const std::string& error, std::string_view label, const ComposedDocument& document) {
  const std::string_view text(error);
  if (!text.starts_with(label) || text.size() <= label.size() || text[label.size()] != ':') return error;
  std::size_t at = label.size() + 1;
  const std::size_t line = parse_number(text, at);
  if (line == 0 || at >= text.size() || text[at] != ':') return error;
  ++at;
  const std::size_t start_of_column = at;
  if (parse_number(text, at) == 0) return error;
  for (const ComposedDocument::Part& part : document.parts)
    if (line >= part.first_line && line < part.first_line + std::max<std::size_t>(part.lines, 1))
      return label_of(part.key) + ":" + std::to_string(line - part.first_line + 1) + ":" +
             std::string(text.substr(start_of_column));
  return error;
}

}  // namespace recourse::plugins::etcd_provider
