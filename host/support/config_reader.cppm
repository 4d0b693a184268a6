// recourse.support.config — ConfigReader: a component reads its table field by field and gets
// plain values back; every problem (unknown field, wrong type, out of range, missing required
// field, or one the component finds itself) is kept, and finish() throws them all at once as
// one ConfigException, so a user fixes a table in one round.
//
//   support::ConfigReader in(context.config, known);         // unknown fields reported here
//   auto percent = in.number("percent", 0, 100, support::required("retries per 100 calls"));
//   auto window = in.duration("window");                      // nullopt: absent or wrong
//   if (window && *window < 10ns) in.fail("window", "must be at least 10ns");
//   in.finish();                                              // throws if anything was wrong
//
// Only std and recourse types in the interface, so any plugin may import it.
module;
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

export module recourse.support.config;

export import recourse.plugin;

export namespace recourse::support {

// Marks a field as required; `what` says what it is for in the message
// `missing required field "<key>" (<what>)`.
struct Required {
  std::string_view what;
};
constexpr Required required(std::string_view what) noexcept { return Required{what}; }

class ConfigReader {
 public:
  // Reports every key of the table that is not in `known` (typos are errors).
  ConfigReader(const ConfigView& view, std::span<const std::string_view> known);

  // Each getter returns the value, or nullopt when the field is absent (an error only if it
  // is required) or wrong (the error is kept).
  std::optional<bool> boolean(std::string_view key, std::optional<Required> need = {});
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max,
                                      std::optional<Required> need = {});
  std::optional<double> number(std::string_view key, double min, double max, std::optional<Required> need = {});
  std::optional<std::string> string(std::string_view key, std::optional<Required> need = {});
  std::optional<Duration> duration(std::string_view key, std::optional<Required> need = {});
  // A duration that must lie in [min, max] ("must be between 1ms and 60000ms" otherwise).
  std::optional<Duration> duration(std::string_view key, Duration min, Duration max, std::optional<Required> need = {});
  // A string naming a file: a relative one is taken relative to the config file's directory
  // (a service's config and the files it names travel together).
  std::optional<std::filesystem::path> path(std::string_view key, std::optional<Required> need = {});
  std::optional<std::vector<std::string>> strings(std::string_view key, std::optional<Required> need = {});

  // An error of the component's own, at `key` when it is present, else at the table.
  void fail(std::string_view key, std::string message);
  void fail(ConfigError error);

  const ConfigView& view() const noexcept { return view_; }
  bool ok() const noexcept { return errors_.empty(); }
  const std::vector<ConfigError>& errors() const noexcept { return errors_; }

  // Throws ConfigException with every error kept, in the order found; returns when none.
  void finish();

 private:
  template <class T>
  std::optional<T> take(std::string_view key, ConfigResult<std::optional<T>> result,
                        const std::optional<Required>& need);

  const ConfigView& view_;
  std::vector<ConfigError> errors_;
};

}  // namespace recourse::support
