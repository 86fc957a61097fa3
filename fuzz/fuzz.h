// Fuzz targets: each defines LLVMFuzzerTestOneInput for libFuzzer (scripts/fuzz.sh builds them
// with clang, -fsanitize=fuzzer,address,undefined) and is also linked with replay_main.cpp into a
// plain executable that ctest runs over the target's corpus and its regressions (fuzz/corpus,
// fuzz/regressions). A cnnfi::Error is the expected answer to bad input; any other exception,
// and any crash, is a finding.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "util/error.h"

namespace cnnfi::fuzz {

/// Runs `f`; a cnnfi::Error is fine, anything else aborts with its message (a finding).
template <typename F>
void expect_clean(F&& f) {
  try {
    f();
  } catch (const cnnfi::Error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz finding: an exception that is not a cnnfi::Error: %s\n", e.what());
    std::abort();
  }
}

/// Writes bytes to a private temporary file and returns its path (removed by the destructor).
class TempFile {
 public:
  TempFile(const uint8_t* data, size_t size, const char* suffix);
  ~TempFile();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace cnnfi::fuzz
