// Checks a model before ONNX's version converter and shape inference see it. Both trust the
// model: shape inference divides by strides and groups and reads kernels without checking them
// against ranks, the converter dereferences names that no node defines; a malformed model would
// crash them (SIGFPE, SIGSEGV) or make them allocate without bound. Errors name the file, the
// node, the attribute or tensor, and the allowed range. Each crash of ONNX 1.12 found so far is
// closed here and kept as a regression in fuzz/regressions/onnx_import/.
#pragma once
#include <string>

namespace onnx {
class ModelProto;
}

namespace cnnfi::onnx_io {

/// All checks below, then fill_kernel_shapes.
void precheck(onnx::ModelProto& model, const std::string& file);

/// Operators cnnfi runs, integer attributes in range (strides, dilations, kernels, groups >= 1,
/// pads >= 0), no zero Slice step.
void check_attributes(const onnx::ModelProto& model, const std::string& file);

/// Every node input and graph output names a graph input, an initializer or a node output;
/// no name is defined twice.
void check_references(const onnx::ModelProto& model, const std::string& file);

/// Writes every Conv, ConvTranspose, ConvInteger and QLinearConv's kernel_shape attribute from its weight's dimensions (an
/// initializer, possibly behind Identity, Cast or DequantizeLinear) when the model left it out,
/// as ONNX defines it. ONNX 1.12's shape inference reads the kernel from the weight without
/// checking it against the input's rank (an out-of-bounds read); with the attribute it checks.
/// A weight whose shape cannot be known before inference is an error naming the node.
void fill_kernel_shapes(onnx::ModelProto& model, const std::string& file);

}  // namespace cnnfi::onnx_io
