// Shared by the windowed operators (Conv, ConvTranspose, MaxPool, AveragePool): ONNX window
// attributes and their resolution to explicit begin/end pads for a given input size.
#pragma once
#include <string>
#include <vector>

#include "ops/op.h"

namespace cnnfi::ops {

struct Window {
  std::vector<int64_t> kernel;     ///< kernel_shape (spatial)
  std::vector<int64_t> strides;    ///< default 1
  std::vector<int64_t> dilations;  ///< default 1
  std::vector<int64_t> pads;       ///< ONNX order: begin_0..begin_k, end_0..end_k
  std::string auto_pad;            ///< NOTSET, SAME_UPPER, SAME_LOWER, VALID
};

/// Reads kernel_shape/strides/dilations/pads/auto_pad; `kernel` fills kernel_shape when absent.
Window read_window(const OpContext& ctx, const std::vector<int64_t>& kernel = {});
/// Explicit pads (ONNX order) for an input whose spatial sizes are `in` (forward windows).
std::vector<int64_t> resolve_pads(const Window& w, at::IntArrayRef in);
/// True if begin == end for every spatial axis.
bool symmetric(const std::vector<int64_t>& pads);
/// ONNX-order pads -> the argument order of at::constant_pad_nd (last axis first).
std::vector<int64_t> torch_pad_order(const std::vector<int64_t>& pads);
std::vector<int64_t> first_half(const std::vector<int64_t>& pads);
/// A convolution with ONNX window semantics (explicit or automatic, possibly asymmetric pads).
at::Tensor convolve(const Window& w, int64_t groups, const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

}  // namespace cnnfi::ops
