#include "quant/arith.h"

#include <cmath>

#include <ATen/ATen.h>

namespace cnnfi::quant {

double quantize(double x, double scale, int bits) {
  const double hi = std::ldexp(1.0, bits - 1) - 1, lo = -std::ldexp(1.0, bits - 1);
  double q = std::nearbyint(x / scale);
  if (std::isnan(q)) q = 0;
  return std::clamp(q, lo, hi);
}

double flip(double value, int bits, int bit) {
  const uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  uint64_t word = static_cast<uint64_t>(static_cast<int64_t>(value)) & mask;
  word ^= uint64_t{1} << bit;
  int64_t v = static_cast<int64_t>(word);
  if (bits < 64 && (word >> (bits - 1)) & 1u) v -= int64_t{1} << bits;  // sign-extend
  return static_cast<double>(v);
}

double saturate32(double value) { return std::clamp(value, kInt32Min, kInt32Max); }

at::Tensor quantize(const at::Tensor& x, double scale, int bits) {
  const double hi = std::ldexp(1.0, bits - 1) - 1, lo = -std::ldexp(1.0, bits - 1);
  at::Tensor q = at::round(x.to(at::kDouble) / scale);  // torch.round: half to even
  return at::nan_to_num(q, 0.0, hi, lo).clamp_(lo, hi);
}

at::Tensor requantize(const at::Tensor& o32, const at::Tensor& multiplier, int64_t axis) {
  at::Tensor m = multiplier;
  if (m.numel() > 1) {
    std::vector<int64_t> shape(static_cast<size_t>(o32.dim()), 1);
    shape[static_cast<size_t>(axis)] = m.numel();
    m = m.reshape(shape);
  }
  return at::round(o32 * m).clamp_(-128.0, 127.0);
}

at::Tensor quantize(const at::Tensor& x, double scale, const Codes& codes) {
  if (codes.symmetric()) return quantize(x, scale, 8);
  at::Tensor q = at::round(x.to(at::kDouble) / scale) + codes.zero_point;
  return at::nan_to_num(q, codes.zero_point, codes.hi(), codes.lo()).clamp_(codes.lo(), codes.hi());
}

at::Tensor requantize(const at::Tensor& o32, const at::Tensor& multiplier, int64_t axis, const Codes& codes) {
  if (codes.symmetric()) return requantize(o32, multiplier, axis);
  at::Tensor m = multiplier;
  if (m.numel() > 1) {
    std::vector<int64_t> shape(static_cast<size_t>(o32.dim()), 1);
    shape[static_cast<size_t>(axis)] = m.numel();
    m = m.reshape(shape);
  }
  return (at::round(o32 * m) + codes.zero_point).clamp_(codes.lo(), codes.hi());
}

double flip(double code, const Codes& codes, int bit) {
  if (!codes.is_unsigned) return flip(code, 8, bit);
  return static_cast<double>(static_cast<uint32_t>(code) ^ (1u << bit));
}

}  // namespace cnnfi::quant
