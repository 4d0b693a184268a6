// recourse.host.config:policy_patch_reader (internal) — reads one policy layer, the body of
// [defaults] or of [policies."<key>"], into a PolicyPatch, checking every field against the
// policy field catalogue. Errors go to the sink and reading goes on, so one pass reports all.
module;
#include <string>
#include <string_view>
#include <vector>

module recourse.host.config:policy_patch_reader;

import recourse.core;
import :error;

namespace recourse::host {

class PolicyPatchReader {
 public:
  // Errors go to `errors`; `copied` are those the copy into nodes found, which a field refused
  // as a whole drops (forget_copy_errors_within).
  PolicyPatchReader(std::string file, std::vector<ConfigError>& errors, std::vector<ConfigError>& copied)
      : file_(std::move(file)), errors_(errors), copied_(copied) {}

  // The layer's table; its path names it in messages, e.g. policies."payments.Charge".
  PolicyPatch read(const ConfigNode& layer);

  void fail(const SourceLocation& where, std::string_view toml_path, std::string message) {
    errors_.push_back(ConfigError{where, std::string(toml_path), std::move(message)});
  }

 private:
  void read_section(const ConfigNode& table, std::string_view schema_prefix, PolicyPatch& out);
  void read_field(const FieldInfo& field, const ConfigNode& node, PolicyPatch& out);
  // Already reported while the TOML was copied (a date or time where text was expected).
  bool reported(const ConfigNode& node) const;

  std::string file_;
  std::vector<ConfigError>& errors_;
  std::vector<ConfigError>& copied_;
};

// Drops the errors of `copied` in `node` or under it, for a node refused as a whole.
inline void forget_copy_errors_within(std::vector<ConfigError>& copied, const ConfigNode& node) {
  std::erase_if(copied, [&](const ConfigError& e) {
    return e.field_path == node.path || e.field_path.starts_with(node.path + ".") ||
           e.field_path.starts_with(node.path + "[");
  });
}

}  // namespace recourse::host
