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

/// A FloatQuant's minifloat word (model:e<E>m<M>-b<bias>[-inf][-nan]): sign, E exponent bits,
/// M mantissa bits, subnormals at exponent field 0. An all-ones exponent decodes as infinity
/// (mantissa 0) or NaN when the format has infinities (IEEE-like, E5M2); with NaN only (OCP E4M3)
/// just the all-ones exponent and mantissa is NaN; with neither, every word is a number. A flip that
/// makes a value beyond the quantiser's max_val, an infinity or a NaN leaves it in memory as such.
class MiniFloat : public Format {
 public:
  MiniFloat(int e, int m, int bias, bool inf, bool nan) : e_(e), m_(m), bias_(bias), inf_(inf), nan_(nan) {}
  std::string name() const override {
    return "model:e" + std::to_string(e_) + "m" + std::to_string(m_) + "-b" + std::to_string(bias_) + (inf_ ? "-inf" : "") +
           (nan_ ? "-nan" : "");
  }
  int width() const override { return 1 + e_ + m_; }
  std::vector<BitField> fields(const Params&) const override {
    std::vector<BitField> f;
    if (m_ > 0) f.push_back({"mantissa", 0, m_ - 1});
    f.push_back({"exponent", m_, m_ + e_ - 1});
    f.push_back({"sign", m_ + e_, m_ + e_});
    return f;
  }
  Params choose(const at::Tensor& golden) const override {
    Params p;
    p.scale = {1.0f};
    p.channel_size = std::max<int64_t>(1, golden.numel());
    return p;
  }
  uint32_t encode(float v, const Params& p, int64_t index) const override {
    const uint32_t all_e = (1u << e_) - 1, all_m = (1u << m_) - 1;
    const uint32_t sign = std::signbit(v) ? 1u : 0u;
    const double x = std::abs(static_cast<double>(v) / p.scale_of(index));
    uint32_t ef = 0, mf = 0;
    // The largest finite word.
    const uint32_t max_e = inf_ ? all_e - 1 : all_e, max_m = (!inf_ && nan_) ? all_m - 1 : all_m;
    if (std::isnan(x)) {
      ef = nan_ || inf_ ? all_e : 0;
      mf = nan_ || inf_ ? all_m : 0;
    } else if (std::isinf(x)) {
      ef = inf_ ? all_e : max_e;
      mf = inf_ ? 0 : max_m;
    } else if (x > 0) {
      const int emin = 1 - bias_;
      int e = static_cast<int>(std::floor(std::log2(x)));
      if (e < emin) {
        mf = static_cast<uint32_t>(std::nearbyint(std::ldexp(x, m_ - emin)));
        if (mf > all_m) ef = 1, mf = 0;  // rounded up to the smallest normal
      } else {
        double frac = std::nearbyint((std::ldexp(x, -e) - 1) * std::ldexp(1.0, m_));
        if (frac >= std::ldexp(1.0, m_)) ++e, frac = 0;
        const int field = e + bias_;
        if (field > static_cast<int>(max_e) || (field == static_cast<int>(max_e) && frac > max_m)) {
          ef = max_e;
          mf = max_m;
        } else {
          ef = static_cast<uint32_t>(field);
          mf = static_cast<uint32_t>(frac);
        }
      }
    }
    return (sign << (e_ + m_)) | (ef << m_) | mf;
  }
  float decode(uint32_t w, const Params& p, int64_t index) const override {
    const uint32_t all_e = (1u << e_) - 1, all_m = (1u << m_) - 1;
    const bool neg = (w >> (e_ + m_)) & 1u;
    const uint32_t ef = (w >> m_) & all_e, mf = w & all_m;
    double a;
    if (ef == all_e && inf_) a = mf == 0 ? INFINITY : NAN;
    else if (ef == all_e && nan_ && mf == all_m) a = NAN;
    else if (ef == 0) a = std::ldexp(static_cast<double>(mf), 1 - bias_ - m_);
    else a = std::ldexp(1.0 + std::ldexp(static_cast<double>(mf), -m_), static_cast<int>(ef) - bias_);
    const float q = static_cast<float>(neg ? -a : a);
    return q * p.scale_of(index);
  }

 private:
  int e_, m_, bias_;
  bool inf_, nan_;
};

}  // namespace

std::unique_ptr<Format> make_model_format(const std::string& name) {
  if (name == "model:bipolar") return std::make_unique<ModelInt>(1, true, false, true);
  static const std::regex mini("model:e([0-9])m([0-9]{1,2})-b(-?[0-9]{1,3})(-inf)?(-nan)?");
  std::smatch mm;
  if (std::regex_match(name, mm, mini)) {
    const int e = std::stoi(mm[1].str()), m = std::stoi(mm[2].str()), bias = std::stoi(mm[3].str());
    if (e < 1 || e > 8 || m > 23 || 1 + e + m > 32) return nullptr;
    return std::make_unique<MiniFloat>(e, m, bias, mm[4].matched, mm[5].matched);
  }
  static const std::regex re("model:(u?)int([0-9]{1,2})(-narrow)?");
  std::smatch m;
  if (!std::regex_match(name, m, re)) return nullptr;
  const int bits = std::stoi(m[2].str());
  if (bits < 1 || bits > 32) return nullptr;
  return std::make_unique<ModelInt>(bits, m[1].str().empty(), m[3].matched, false);
}

}  // namespace cnnfi::repr
