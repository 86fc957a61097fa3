// A one-line progress bar on stderr, shown only when both stdout and stderr are terminals.
#pragma once
#include <chrono>
#include <string>

namespace cnnfi {

class Progress {
 public:
  Progress(std::string label, int64_t total);
  ~Progress();
  void update(int64_t done);
  void finish();

 private:
  std::string label_;
  int64_t total_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace cnnfi
