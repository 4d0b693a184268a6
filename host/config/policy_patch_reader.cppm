// recourse.host.config:policy_patch_reader (internal) — reads one policy layer, the body of
// [defaults] or of [policies."<key>"], into a PolicyPatch, checking every field against the
// policy field catalogue. Errors go to the sink and reading goes on, so one pass reports all.
module;
#include <toml++/toml.h>

#include <string>
#include <string_view>
#include <vector>

module recourse.host.config:policy_patch_reader;

import recourse.core;
import :error;

namespace recourse::host {

class PolicyPatchReader {
 public:
  PolicyPatchReader(std::string file, std::vector<ConfigError>& errors) : file_(std::move(file)), errors_(errors) {}

  // `toml_path` names the layer in messages, e.g. policies."payments.Charge".
  PolicyPatch read(const toml::table& layer, std::string_view toml_path);

  SourceLocation locate(const toml::source_region& where) const {
    return SourceLocation{file_, where.begin.line, where.begin.column};
  }

  void fail(const toml::source_region& where, std::string_view toml_path, std::string message) {
    errors_.push_back(ConfigError{locate(where), std::string(toml_path), std::move(message)});
  }

 private:
  void read_section(const toml::table& table, std::string_view schema_prefix, std::string_view toml_path,
                    PolicyPatch& out);
  void read_field(const FieldInfo& field, const toml::node& node, std::string_view toml_path, PolicyPatch& out);

  std::string file_;
  std::vector<ConfigError>& errors_;
};

}  // namespace recourse::host
