// Conversion between ONNX TensorProto and libtorch tensors (both directions, bit-exact).
#pragma once
#include <string>

#include <ATen/core/Tensor.h>

namespace onnx {
class TensorProto;
}

namespace cnnfi::onnx_io {

/// Converts an ONNX tensor to a contiguous CPU tensor. `file` names the model in errors.
/// Supported element types: float, double, float16, bfloat16, int8/16/32/64, uint8, bool.
at::Tensor to_tensor(const onnx::TensorProto& t, const std::string& file);
/// Writes `t` into `out` (dims, data_type, raw_data), keeping out's name.
void from_tensor(const at::Tensor& t, onnx::TensorProto& out);
/// ONNX TensorProto::DataType enum value -> ATen scalar type; throws naming `where` if unsupported.
c10::ScalarType to_scalar_type(int onnx_type, const std::string& where);
int to_onnx_type(c10::ScalarType t);

}  // namespace cnnfi::onnx_io
