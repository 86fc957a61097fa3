// The campaign-owned random generator: mt19937_64 with rejection-sampled integers, so a seed
// gives the same draws on every platform and standard library (std::uniform_int_distribution
// does not promise that).
#pragma once
#include <cstdint>
#include <random>

namespace cnnfi::fault {

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  /// Uniform in [0, n).
  uint64_t below(uint64_t n) {
    if (n <= 1) return 0;
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = gen_(); while (x >= limit);
    return x % n;
  }
  /// Uniform in [0, 1).
  double unit() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }

 private:
  std::mt19937_64 gen_;
};

}  // namespace cnnfi::fault
