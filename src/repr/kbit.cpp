// Low-bit weights and activations of binarised and 2-bit networks (seed 002, FINN's cnvW1A1 and
// cnvW2A2), scaled by one factor per tensor s = max|x| (1 for a trained k-bit network, whose
// values are already the codes):
//   binary  1 bit: bit 1 = +s, bit 0 = -s (BinaryNet's sign; 0 encodes as +1). A flip negates.
//   int2    2-bit two's complement, narrow range: codes -1, 0, +1 (11, 00, 01) at x = s * code;
//           a flip can produce 10 = -2, which the hardware would hold and decode as -2 s.
//   int4    4-bit two's complement, narrow range -7..7 at s = max|x| / 7; 1000 = -8 when a flip
//           makes it.
// Values encode by round-half-to-even of x / s, clamped to the narrow range.
#include <cmath>

#include <ATen/ATen.h>

#include "repr/format.h"

namespace cnnfi::repr {

namespace {

class KBit : public Format {
 public:
  explicit KBit(int bits) : bits_(bits), max_(bits == 1 ? 1 : (1 << (bits - 1)) - 1) {}
  std::string name() const override { return bits_ == 1 ? "binary" : "int" + std::to_string(bits_); }
  int width() const override { return bits_; }
  std::vector<BitField> fields(const Params&) const override {
    if (bits_ == 1) return {{"sign", 0, 0}};
    return {{"magnitude", 0, bits_ - 2}, {"sign", bits_ - 1, bits_ - 1}};
  }
  Params choose(const at::Tensor& golden) const override {
    Params p;
    const float m = golden.numel() ? golden.to(at::kFloat).abs().max().item<float>() : 0.0f;
    p.scale = {m > 0 && std::isfinite(m) ? m / static_cast<float>(max_) : 1.0f};
    p.channel_size = golden.numel();
    return p;
  }
  uint32_t encode(float v, const Params& p, int64_t index) const override {
    if (bits_ == 1) return v >= 0 || std::isnan(v) ? 1u : 0u;
    double q = std::nearbyint(static_cast<double>(v) / p.scale_of(index));
    if (std::isnan(q)) q = 0;
    q = std::clamp(q, -static_cast<double>(max_), static_cast<double>(max_));
    return static_cast<uint32_t>(static_cast<int32_t>(q)) & ((1u << bits_) - 1);
  }
  float decode(uint32_t w, const Params& p, int64_t index) const override {
    if (bits_ == 1) return (w & 1u) ? p.scale_of(index) : -p.scale_of(index);
    const uint32_t mask = (1u << bits_) - 1, sign = 1u << (bits_ - 1);
    w &= mask;
    const int32_t i = (w & sign) ? static_cast<int32_t>(w) - static_cast<int32_t>(1u << bits_) : static_cast<int32_t>(w);
    return p.scale_of(index) * static_cast<float>(i);
  }

 private:
  int bits_;
  int max_;
};

}  // namespace

std::unique_ptr<Format> make_binary() { return std::make_unique<KBit>(1); }
std::unique_ptr<Format> make_int2() { return std::make_unique<KBit>(2); }
std::unique_ptr<Format> make_int4() { return std::make_unique<KBit>(4); }

}  // namespace cnnfi::repr
