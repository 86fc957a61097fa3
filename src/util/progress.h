// Progress of a long command on stderr. When stderr is a terminal: a one-line bar redrawn in
// place. Otherwise (a log file, a pipe, a CI job): a plain line "label: done/total (x %), rate/s,
// about T left" every CNNFI_PROGRESS_SECONDS seconds (default 10), and a last line at the end
// when any was printed, so that a log shows that a long command is alive and how far it is.
#pragma once
#include <chrono>
#include <string>

namespace cnnfi {

class Progress {
 public:
  /// `unit` names what is counted in plain lines ("trials", "images", ...).
  Progress(std::string label, int64_t total, std::string unit = "");
  ~Progress();
  void update(int64_t done);
  /// A plan that grew (adaptive rounds, top-ups) has a new total.
  void set_total(int64_t total) { total_ = total; }
  void finish();
  /// Seconds between plain lines (CNNFI_PROGRESS_SECONDS, default 10; bad values fall back).
  static double line_interval();

 private:
  std::string label_, unit_;
  int64_t total_;
  bool bar_;
  bool finished_ = false, printed_ = false;
  int64_t first_done_ = -1, last_done_ = 0;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace cnnfi
