// Integer arithmetic of a quantised layer (seed 003, eq. 2.1), symmetric, no zero point:
//   q = clamp(round(x / s), -2^(b-1), 2^(b-1) - 1),  x' = s q
// with round half to even. Integers are held in double tensors: every value cnnfi forms (int8
// products summed over a layer, int32 biases, flips of bit 31) is an integer below 2^53, so double
// arithmetic on them is exact, where float32 would not be beyond 2^24. Words are two's complement.
#pragma once
#include <cstdint>

#include <ATen/core/Tensor.h>

namespace cnnfi::quant {

constexpr double kInt32Min = -2147483648.0, kInt32Max = 2147483647.0;

/// q of one value at scale s with `bits`-bit saturation (round half to even).
double quantize(double x, double scale, int bits);
/// The integer after flipping `bit` of its `bits`-bit two's complement word.
double flip(double value, int bits, int bit);
/// Saturates to the int32 range, as a hardware accumulator does.
double saturate32(double value);

/// Tensor versions (double tensors holding integers).
at::Tensor quantize(const at::Tensor& x, double scale, int bits);
/// Per-channel requantisation of an accumulator: clamp(round(o32 * multiplier[c]), int8) with c
/// the channel axis (`axis`); a single multiplier applies to all.
at::Tensor requantize(const at::Tensor& o32, const at::Tensor& multiplier, int64_t axis);

/// 8-bit activation codes with a zero point (a QDQ model's own, quant/qdq_import.h): int8
/// [-128, 127] or uint8 [0, 255]. Symmetric int8 (zero point 0) is what cnnfi calibrates itself.
struct Codes {
  double zero_point = 0;
  bool is_unsigned = false;
  double lo() const { return is_unsigned ? 0.0 : -128.0; }
  double hi() const { return is_unsigned ? 255.0 : 127.0; }
  bool symmetric() const { return zero_point == 0 && !is_unsigned; }
};
/// clamp(round(x / s) + zero point) in the codes' range (round half to even, as ONNX QuantizeLinear).
at::Tensor quantize(const at::Tensor& x, double scale, const Codes& codes);
/// clamp(round(o32 * multiplier[c]) + zero point) in the codes' range.
at::Tensor requantize(const at::Tensor& o32, const at::Tensor& multiplier, int64_t axis, const Codes& codes);
/// The code after flipping `bit` of its 8-bit word (two's complement for int8, plain for uint8).
double flip(double code, const Codes& codes, int bit);

}  // namespace cnnfi::quant
