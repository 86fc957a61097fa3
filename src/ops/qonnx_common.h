// Shared by the QONNX quantisers (Quant/IntQuant, BipolarQuant, Trunc, FloatQuant; the
// custom-op dialect Brevitas and FINN write, in domains onnx.brevitas, qonnx.custom_op.general and
// finn.custom_op.general): rounding modes, the integer range of (bit width, signed, narrow), and
// the checks every parameter gets where it enters. Arithmetic is float32, as Brevitas and the
// QONNX reference execute it, so ties round the same way.
#pragma once
#include <string>

#include "ops/op.h"

namespace cnnfi::ops::qonnx {

enum class Rounding { round_half_even, ceil, floor, up, down, half_up, half_down };

/// ROUND (= HALF_EVEN), CEIL, FLOOR, UP (away from 0), DOWN (towards 0), HALF_UP (halves away from
/// 0), HALF_DOWN (halves towards 0); either case. Anything else is an error naming the node and value.
Rounding parse_rounding(const OpContext& ctx, const std::string& attr, const std::string& dflt);
at::Tensor apply_rounding(const at::Tensor& x, Rounding r);
const char* rounding_name(Rounding r);

/// The integer codes of a `bits`-bit quantiser: signed [-2^(b-1) (+1 if narrow), 2^(b-1) - 1],
/// unsigned [0, 2^b - 1 (- 1 if narrow)].
struct IntRange {
  double min = 0, max = 0;
};
IntRange int_range(int64_t bits, bool is_signed, bool narrow);

/// Largest bit width a QONNX integer quantiser may carry (Brevitas writes 32-bit bias quantisers).
constexpr int64_t kMaxBits = 32;

/// `where` is OpContext::where(): "<file>: node '<name>' (op <op>, opset <n>)".
/// A bit width as given (int or float tensor, one value): an integer in [1, kMaxBits], or an error
/// naming `what`, the node and the value.
int64_t check_bits(const std::string& where, const at::Tensor& t, const char* what);
/// Scales: every value finite and > 0.
void check_scale(const std::string& where, const at::Tensor& t, const char* what);
/// Zero points: finite and within [range.min, range.max].
void check_zero_point(const std::string& where, const at::Tensor& t, const IntRange& range, const char* what);
/// A parameter tensor's shape against the input's, where both are known: error naming both.
void check_broadcast(const OpContext& ctx, size_t input, const char* what);
/// Inputs 1.. of the node when every one given is a plan-time constant (slot 0 and omitted optional
/// inputs undefined), so that a kernel checks and prepares its parameters once; nothing otherwise.
std::optional<Inputs> constant_parameters(const OpContext& ctx);
/// The attribute `name` as 0/1, or an error naming the value.
bool flag_attr(const OpContext& ctx, const std::string& name, int64_t dflt);


}  // namespace cnnfi::ops::qonnx
