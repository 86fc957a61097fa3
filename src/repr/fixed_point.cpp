// Dynamic fixed point Q(bit-width, fractional length), Ristretto-style (Gysel et al.), as seed
// 000 stores its Q networks: two's complement words of `bits` bits worth word * 2^-fl. The
// fractional length is chosen per tensor so that the integer part covers max|w|:
//   il = ceil(log2(max|w|)) + 1 (one bit for the sign), fl = bits - il,
// and may be negative (coarse powers of two) or exceed bits - 1 (small weights). Encoding
// rounds to nearest (ties to even) and saturates.
#include <cmath>

#include <ATen/ATen.h>

#include "repr/format.h"

namespace cnnfi::repr {

namespace {

class FixedPoint : public Format {
 public:
  explicit FixedPoint(int bits) : bits_(bits) {}
  std::string name() const override { return "q" + std::to_string(bits_); }
  int width() const override { return bits_; }
  std::vector<BitField> fields(const Params& p) const override {
    std::vector<BitField> f;
    const int fl = std::clamp(p.frac_len, 0, bits_ - 1);  // fraction bits present in the word
    if (fl > 0) f.push_back({"fraction", 0, fl - 1});
    if (fl < bits_ - 1) f.push_back({"integer", fl, bits_ - 2});
    f.push_back({"sign", bits_ - 1, bits_ - 1});
    return f;
  }
  Params choose(const at::Tensor& golden) const override {
    Params p;
    const float max_abs = golden.numel() ? golden.abs().max().item<float>() : 0.0f;
    const int il = max_abs > 0 ? static_cast<int>(std::ceil(std::log2(max_abs))) + 1 : 1;
    p.frac_len = bits_ - il;
    return p;
  }
  uint32_t encode(float v, const Params& p, int64_t) const override {
    const double lo = -std::ldexp(1.0, bits_ - 1), hi = std::ldexp(1.0, bits_ - 1) - 1;
    double q = std::nearbyint(std::ldexp(static_cast<double>(v), p.frac_len));
    if (std::isnan(q)) q = 0;
    q = std::clamp(q, lo, hi);
    const int64_t i = static_cast<int64_t>(q);
    return static_cast<uint32_t>(i) & mask();
  }
  float decode(uint32_t w, const Params& p, int64_t) const override {
    w &= mask();
    int64_t i = w;
    if (w >> (bits_ - 1)) i -= int64_t{1} << bits_;  // sign-extend
    return static_cast<float>(std::ldexp(static_cast<double>(i), -p.frac_len));
  }

 private:
  uint32_t mask() const { return bits_ == 32 ? 0xffffffffu : (1u << bits_) - 1; }
  int bits_;
};

}  // namespace

std::unique_ptr<Format> make_q8() { return std::make_unique<FixedPoint>(8); }
std::unique_ptr<Format> make_q16() { return std::make_unique<FixedPoint>(16); }

}  // namespace cnnfi::repr
