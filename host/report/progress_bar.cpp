// ProgressBar: "\r<label> [#######.............]  35%  35000/100000" redrawn in place on a
// terminal's stderr. No clock is read, so the bar costs nothing in virtual-time runs and draws
// the same for the same run: it redraws when the count crosses the next 0.5% step.
module;
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <utility>

module recourse.host.report;

namespace recourse::host::report {
namespace {

constexpr std::uint64_t steps = 200;
constexpr int bar_width = 30;

std::FILE* terminal_stderr() { return ::isatty(::fileno(stderr)) ? stderr : nullptr; }

}  // namespace

ProgressBar::ProgressBar(std::uint64_t total, std::string label)
    : ProgressBar(total, std::move(label), terminal_stderr(), true) {}

ProgressBar::ProgressBar(std::uint64_t total, std::string label, std::FILE* out, bool draw)
    : total_(total), label_(std::move(label)), out_(draw ? out : nullptr) {
  if (out_) this->draw(0);
}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::advance(std::uint64_t done) noexcept {
  const std::uint64_t now = done_.fetch_add(done, std::memory_order_relaxed) + done;
  if (out_ == nullptr || now < next_draw_.load(std::memory_order_relaxed)) return;
  // Another thread drawing right now will show a count at least this recent soon enough.
  std::unique_lock lock(drawing_, std::try_to_lock);
  if (lock.owns_lock() && !finished_) draw(now);
}

void ProgressBar::set_label(std::string label) {
  std::lock_guard lock(drawing_);
  label_ = std::move(label);
  if (out_ && !finished_) draw(done_.load(std::memory_order_relaxed));
}

void ProgressBar::finish() noexcept {
  std::lock_guard lock(drawing_);
  if (finished_) return;
  finished_ = true;
  if (out_ == nullptr) return;
  draw(done_.load(std::memory_order_relaxed));
  std::fputc('\n', out_);
  std::fflush(out_);
}

// Called with drawing_ held.
void ProgressBar::draw(std::uint64_t done) noexcept {
  const std::uint64_t shown = total_ > 0 ? std::min(done, total_) : done;
  const double fraction = total_ > 0 ? static_cast<double>(shown) / static_cast<double>(total_) : 0;
  const int filled = static_cast<int>(fraction * bar_width);
  // The next redraw: the count at which the bar reaches its next 1/steps.
  const std::uint64_t step = std::max<std::uint64_t>(total_ / steps, 1);
  next_draw_.store((done / step + 1) * step, std::memory_order_relaxed);
  try {
    const std::string line =
        total_ > 0 ? fmt::format("\r{} [{}{}] {:3d}%  {}/{}\x1b[K", label_, std::string(filled, '#'),
                                 std::string(bar_width - filled, '.'), static_cast<int>(fraction * 100), shown,
                                 total_)
                   : fmt::format("\r{}  {}\x1b[K", label_, done);
    std::fputs(line.c_str(), out_);
    std::fflush(out_);
  } catch (...) {
    // Out of memory formatting a progress line: skip this redraw.
  }
}

}  // namespace recourse::host::report
