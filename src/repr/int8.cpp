// INT8 symmetric quantisation (seed 003, eq. 2.1): x_int = clamp(round(x / s), -128, 127),
// x = s * x_int, with s = max|x| / 127 per tensor ("int8") or per output channel, i.e. per
// index of dimension 0 ("int8-channel"). Words are two's complement bytes.
#include <cmath>

#include <ATen/ATen.h>

#include "repr/format.h"

namespace cnnfi::repr {

namespace {

class Int8 : public Format {
 public:
  explicit Int8(bool per_channel) : per_channel_(per_channel) {}
  std::string name() const override { return per_channel_ ? "int8-channel" : "int8"; }
  int width() const override { return 8; }
  std::vector<BitField> fields(const Params&) const override { return {{"magnitude", 0, 6}, {"sign", 7, 7}}; }
  Params choose(const at::Tensor& golden) const override {
    Params p;
    const at::Tensor g = golden.to(at::kFloat);
    if (!per_channel_ || g.dim() < 2) {
      const float m = g.numel() ? g.abs().max().item<float>() : 0.0f;
      p.scale = {m > 0 ? m / 127.0f : 1.0f};
      p.channel_size = g.numel();
      return p;
    }
    const at::Tensor m = g.abs().reshape({g.size(0), -1}).amax(1);
    for (int64_t c = 0; c < g.size(0); ++c) {
      const float v = m[c].item<float>();
      p.scale.push_back(v > 0 ? v / 127.0f : 1.0f);
    }
    p.channel_size = g.numel() / g.size(0);
    return p;
  }
  uint32_t encode(float v, const Params& p, int64_t index) const override {
    double q = std::nearbyint(static_cast<double>(v) / p.scale_of(index));
    if (std::isnan(q)) q = 0;
    q = std::clamp(q, -128.0, 127.0);
    return static_cast<uint32_t>(static_cast<int32_t>(q)) & 0xffu;
  }
  float decode(uint32_t w, const Params& p, int64_t index) const override {
    const int32_t i = static_cast<int8_t>(static_cast<uint8_t>(w & 0xffu));
    return p.scale_of(index) * static_cast<float>(i);
  }

 private:
  bool per_channel_;
};

}  // namespace

std::unique_ptr<Format> make_int8() { return std::make_unique<Int8>(false); }
std::unique_ptr<Format> make_int8_channel() { return std::make_unique<Int8>(true); }

}  // namespace cnnfi::repr
