// Seed 003's five modules on an INT8 QDQ model made by another tool (ONNX Runtime's quantiser,
// PyTorch's fake-quantised export, TensorRT): the model's own integer weights, biases, scales are
// what cnnfi's integer execution (quant/model.h) runs and faults, not a calibration of its own.
//
// adopt_qdq rewrites each quantised Conv, Gemm and MatMul of the form
//   x -> QuantizeLinear(s_in) -> DequantizeLinear(s_in) -> layer(DequantizeLinear(w8, s_w),
//        [DequantizeLinear(b32, s_in * s_w)]) [-> Relu] -> QuantizeLinear(s_out) -> DequantizeLinear(s_out)
// (the weight may also be QuantizeLinear of a float initializer, as PyTorch exports it) into the
// float layer cnnfi's integer execution quantises, with the model's scales carried in the model's
// metadata (quant::kScalesKey: s_in, s_out and s_w per layer): calibration then reproduces the
// file's integers exactly (w8 = the file's int8 weights, b32 its int32 biases), and every module
// i8, w8, b32, o32, o8 maps onto the model's own tensors. The rewrite is used where the integer
// execution runs (kind quantized, info --quantized); elsewhere the QDQ model runs as written.
//
// Activations may be int8 or uint8 with any zero point (ONNX Runtime's default asymmetric uint8
// activations included): i8 and o8 hold the model's codes and a flip acts on that 8-bit word;
// weights must be symmetric int8 (zero point 0), as the quantisers write them by default. A
// quantised layer whose input or output is not quantised, a per-channel weight scale on another
// axis than the output channels, or a bias scale other than s_in * s_w is refused, naming the node
// and what differs.
#pragma once
#include <memory>
#include <string>

#include <onnx/onnx_pb.h>

#include "graph/graph.h"

namespace cnnfi::quant {

/// True when a Conv, Gemm or MatMul of `model` reads its weight through DequantizeLinear, or the
/// model has QLinearConv / QLinearMatMul nodes.
bool has_qdq_layers(const onnx::ModelProto& model);

/// QLinearConv / QLinearMatMul (ONNX's QOperator format) rewritten as the QDQ layers that compute
/// the same: DequantizeLinear of input, weight and int32 bias (at s_x * s_w), the float layer, and
/// QuantizeLinear at the output's scale and zero point. adopt_qdq applies it first.
onnx::ModelProto qlinear_to_qdq(const onnx::ModelProto& model, const std::string& file);

/// The float model with the QDQ model's own scales (see above); `layers` gets the number of
/// layers adopted.
onnx::ModelProto adopt_qdq(const onnx::ModelProto& model, const std::string& file, int* layers = nullptr);

/// onnx_io::load_model, through adopt_qdq when the model has QDQ layers (the integer execution's view).
std::shared_ptr<graph::Graph> load_for_integer(const std::string& path);

}  // namespace cnnfi::quant
