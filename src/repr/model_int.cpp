// The model's own integer weight storage (QONNX Quant / BipolarQuant weights, graph.h:
// IntegerStorage), as a format: model:int<k>[-narrow] (k-bit two's complement), model:uint<k>[-narrow]
// (k-bit unsigned) and model:bipolar (1 bit: 1 = +scale, 0 = -scale). Scales and zero points are the
// quantiser's, one per element (Params::scale, Params::zero_point with channel_size 1), so a word
// decodes to (code - zero point) * scale in float32, as the quantiser computed it.
// A fault can leave a code outside the quantiser's range (-2^(k-1) in a narrow signed format,
// 2^k - 1 in a narrow unsigned one): the memory holds it and the layer computes with it, as an
// accelerator reading that word would; nothing clamps it back.
#include <cmath>
#include <regex>

#include <ATen/ATen.h>

#include "repr/format.h"

namespace cnnfi::repr {

namespace {

class ModelInt : public Format {
 public:
  ModelInt(int bits, bool is_signed, bool narrow, bool bipolar)
      : bits_(bits), signed_(is_signed), narrow_(narrow), bipolar_(bipolar),
        mask_(bits >= 32 ? 0xffffffffu : (1u << bits) - 1) {
    const double half = std::ldexp(1.0, bits - 1);
    lo_ = bipolar ? -1 : is_signed ? -half + (narrow ? 1 : 0) : 0;
    hi_ = bipolar ? 1 : is_signed ? half - 1 : 2 * half - 1 - (narrow ? 1 : 0);
  }
  std::string name() const override {
    if (bipolar_) return "model:bipolar";
    return "model:" + std::string(signed_ ? "int" : "uint") + std::to_string(bits_) + (narrow_ ? "-narrow" : "");
  }
  int width() const override { return bits_; }
  std::vector<BitField> fields(const Params&) const override {
    if (bipolar_ || bits_ == 1) return {{"sign", 0, 0}};
    if (!signed_) return {{"magnitude", 0, bits_ - 1}};
    return {{"magnitude", 0, bits_ - 2}, {"sign", bits_ - 1, bits_ - 1}};
  }
  /// For a tensor the model does not quantise: symmetric, one scale from max|x|, zero point 0.
  Params choose(const at::Tensor& golden) const override {
    Params p;
    const float m = golden.numel() ? golden.to(at::kFloat).abs().max().item<float>() : 0.0f;
    const double top = std::max(1.0, hi_);
    p.scale = {m > 0 && std::isfinite(m) ? static_cast<float>(m / top) : 1.0f};
    p.channel_size = std::max<int64_t>(1, golden.numel());
    return p;
  }
  uint32_t encode(float v, const Params& p, int64_t index) const override {
    if (bipolar_) return v >= 0 || std::isnan(v) ? 1u : 0u;
    const float t = v / p.scale_of(index) + p.zero_of(index);
    double q = std::isfinite(t) ? std::nearbyint(static_cast<double>(t)) : (std::isnan(t) ? 0.0 : t > 0 ? hi_ : lo_);
    q = std::clamp(q, lo_, hi_);
    return static_cast<uint32_t>(static_cast<int64_t>(q)) & mask_;
  }
  float decode(uint32_t w, const Params& p, int64_t index) const override {
    w &= mask_;
    if (bipolar_) return (w & 1u) ? p.scale_of(index) : -p.scale_of(index);
    int64_t c = w;
    if (signed_ && bits_ < 64 && (w >> (bits_ - 1)) & 1u) c -= int64_t{1} << bits_;
    return (static_cast<float>(c) - p.zero_of(index)) * p.scale_of(index);
  }

 private:
  int bits_;
  bool signed_, narrow_, bipolar_;
  uint32_t mask_;
  double lo_ = 0, hi_ = 0;
};

}  // namespace

std::unique_ptr<Format> make_model_format(const std::string& name) {
  if (name == "model:bipolar") return std::make_unique<ModelInt>(1, true, false, true);
  static const std::regex re("model:(u?)int([0-9]{1,2})(-narrow)?");
  std::smatch m;
  if (!std::regex_match(name, m, re)) return nullptr;
  const int bits = std::stoi(m[2].str());
  if (bits < 1 || bits > 32) return nullptr;
  return std::make_unique<ModelInt>(bits, m[1].str().empty(), m[3].matched, false);
}

}  // namespace cnnfi::repr
