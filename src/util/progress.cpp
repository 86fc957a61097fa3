#include "util/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace cnnfi {

namespace {

std::string duration(double s) {
  char buf[48];
  if (!(s >= 0) || s > 1e9) return "?";
  if (s < 90) std::snprintf(buf, sizeof buf, "%.0f s", s);
  else if (s < 5400) std::snprintf(buf, sizeof buf, "%.0f min", s / 60);
  else std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
  return buf;
}

}  // namespace

double Progress::line_interval() {
  const char* v = std::getenv("CNNFI_PROGRESS_SECONDS");
  if (!v || !*v) return 10.0;
  char* end = nullptr;
  const double s = std::strtod(v, &end);
  if (end && *end == '\0' && std::isfinite(s) && s >= 0 && s <= 86400) return s;
  static bool warned = false;  // said once per process, not per progress line
  if (!warned)
    std::fprintf(stderr, "warning: CNNFI_PROGRESS_SECONDS '%s' is not a number of seconds in [0, 86400]; using 10\n", v);
  warned = true;
  return 10.0;
}

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), bar_(isatty(STDERR_FILENO) != 0) {
  start_ = last_ = std::chrono::steady_clock::now();
}

Progress::~Progress() { finish(); }

void Progress::update(int64_t done) {
  if (total_ <= 0 || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (first_done_ < 0) first_done_ = done;  // resumed work does not count towards the rate
  last_done_ = done;
  const double secs = std::chrono::duration<double>(now - start_).count();
  if (bar_) {
    if (done < total_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const int width = 30;
    const int filled = static_cast<int>(width * std::min(done, total_) / total_);
    std::fprintf(stderr, "\r%s [%.*s%*s] %lld/%lld %.1fs", label_.c_str(), filled, "##############################",
                 width - filled, "", static_cast<long long>(done), static_cast<long long>(total_), secs);
    std::fflush(stderr);
    return;
  }
  if (std::chrono::duration<double>(now - last_).count() < line_interval()) return;
  last_ = now;
  const double rate = secs > 0 ? static_cast<double>(done - first_done_) / secs : 0;
  std::fprintf(stderr, "%s: %lld/%lld%s%s (%.1f %%), %.4g/s, about %s left\n", label_.c_str(),
               static_cast<long long>(done), static_cast<long long>(total_), unit_.empty() ? "" : " ", unit_.c_str(),
               100.0 * static_cast<double>(done) / static_cast<double>(total_), rate,
               rate > 0 ? duration(static_cast<double>(total_ - done) / rate).c_str() : "?");
  std::fflush(stderr);
  printed_ = true;
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (bar_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  } else if (printed_) {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "%s: %lld/%lld%s%s in %s\n", label_.c_str(), static_cast<long long>(last_done_),
                 static_cast<long long>(total_), unit_.empty() ? "" : " ", unit_.c_str(), duration(secs).c_str());
    std::fflush(stderr);
  }
}

}  // namespace cnnfi
