// Formatting and merging warnings (see warning.cppm).
module;
#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

module recourse.host.analysis;

namespace recourse::host {

std::string keys_text(const Warning& warning) {
  constexpr std::size_t shown = 3;  // keys named in full; the rest are counted
  std::string text = warning.key;
  const std::size_t listed = warning.also.size() + 1 <= shown ? warning.also.size() : shown - 1;
  for (std::size_t i = 0; i < listed; ++i) text += ", " + warning.also[i];
  if (const std::size_t more = warning.also.size() - listed; more > 0)
    text += " and " + std::to_string(more) + (more == 1 ? " more key" : " more keys");
  return text;
}

std::string to_string(const Warning& warning) {
  std::string text = recourse::to_string(warning.where);
  if (!text.empty()) text += ": ";
  return text + "warning: " + keys_text(warning) + ": " + warning.message + " [" + warning.code + "]";
}

std::vector<Warning> merge_inherited(std::vector<Warning> warnings) {
  std::vector<Warning> out;
  for (Warning& w : warnings) {
    const auto same = std::ranges::find_if(out, [&](const Warning& kept) {
      return w.where.line != 0 && kept.code == w.code && kept.message == w.message && kept.where.file == w.where.file &&
             kept.where.line == w.where.line && kept.where.column == w.where.column;
    });
    if (same == out.end()) {
      out.push_back(std::move(w));
      continue;
    }
    same->also.push_back(std::move(w.key));
    for (std::string& k : w.also) same->also.push_back(std::move(k));
  }
  return out;
}

}  // namespace recourse::host
