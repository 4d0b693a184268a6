// write_report(): the three report files into one directory. Each file is written whole and
// checked, and an error names the path and the system's reason, so `--report DIR` on a
// read-only mount fails with something a user can act on.
module;
#include <cerrno>
#include <cstring>
#include <expected>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

module recourse.host.report;

namespace recourse::host::report {
namespace {

std::expected<void, std::string> write_file(const std::filesystem::path& path, std::string_view content) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (file) file.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (file) file.close();
  if (!file) {
    const int error = errno;
    return std::unexpected("cannot write \"" + path.string() + "\": " +
                           (error != 0 ? std::strerror(error) : "write failed"));
  }
  return {};
}

}  // namespace

std::expected<void, std::string> write_report(const ReportData& data, const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return std::unexpected("cannot create report directory \"" + dir.string() + "\": " + error.message());
  if (!std::filesystem::is_directory(dir, error))
    return std::unexpected("cannot write the report into \"" + dir.string() + "\": not a directory");
  errno = 0;
  if (auto written = write_file(dir / "report.html", html_report(data)); !written) return written;
  if (auto written = write_file(dir / "timelines.jsonl", timelines_jsonl(data)); !written) return written;
  return write_file(dir / "trace.json", trace_json(data));
}

}  // namespace recourse::host::report
