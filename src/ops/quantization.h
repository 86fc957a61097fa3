// Shared by the ONNX quantisation operators (QuantizeLinear, DequantizeLinear, QLinearConv,
// QLinearMatMul, ConvInteger, MatMulInteger): scales and zero points broadcast along an axis,
// integer arithmetic in double (exact: every value is an integer below 2^53), saturation to the
// zero point's type with round half to even.
#pragma once
#include "ops/op.h"

namespace cnnfi::ops {

/// `p` (a scalar, or a 1-D tensor of x.size(axis) values) shaped to broadcast against `x`.
at::Tensor along(const at::Tensor& p, const at::Tensor& x, int64_t axis);
/// The zero point as double, 0 when absent.
at::Tensor zero_point(const at::Tensor& zp);
/// round(v) (half to even) + zp, saturated to `type` (uint8 or int8; int32 for biases).
at::Tensor saturate(const at::Tensor& v, at::ScalarType type);

}  // namespace cnnfi::ops
