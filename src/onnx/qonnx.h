// The QONNX dialect: the quantisers Brevitas and FINN write (Quant / IntQuant, BipolarQuant,
// Trunc, FloatQuant) in domains onnx.brevitas, qonnx.custom_op.general and
// finn.custom_op.general. Their schemas are registered with ONNX so that the checker verifies
// them and shape inference sees through them; models that use a QONNX domain without importing it
// (Brevitas writes no opset_import for onnx.brevitas) get the import added in memory before
// checking. The checker itself stays on.
#pragma once
#include <string>

namespace onnx {
class ModelProto;
}

namespace cnnfi::onnx_io {

/// True for the three QONNX domain names.
bool is_qonnx_domain(const std::string& domain);
/// The QONNX domain names, comma-separated (for messages).
std::string qonnx_domains();

/// Registers the QONNX schemas with ONNX's registry (once per process).
void register_qonnx_schemas();

/// Before the checker: refuses a node of a QONNX domain whose operator cnnfi does not run, or
/// whose number of inputs does not fit its operator (naming the node, the operator and the
/// inputs); imports each QONNX domain a node uses but the model does not import (version 1).
/// Registers the schemas. A model without QONNX nodes is left untouched.
void prepare_qonnx(onnx::ModelProto& model, const std::string& file);

}  // namespace cnnfi::onnx_io

namespace cnnfi::onnx_io {

/// What to_qonnx rewrote.
struct QonnxExport {
  int bipolar_weights = 0, ternary_weights = 0, sign_activations = 0, round_activations = 0;
  std::string describe() const;
};

/// Rewrites a k-bit model as cnnfi trains it (train/arch/cnv.cpp: k-bit values as plain Conv/Gemm/
/// MatMul weights, Sign or Round(Clip(x, -1, 1)) activations) into the QONNX dialect FINN reads, in
/// domain qonnx.custom_op.general: a weight holding only -1/+1 gets BipolarQuant(w, 1); one holding
/// only -1/0/+1 gets Quant(w, 1, 0, 2, signed, narrow); Sign(x) becomes BipolarQuant(x, 1) and
/// Round(Clip(x, -1, 1)) becomes Quant(x, 1, 0, 2, signed, narrow, ROUND), which computes the same
/// values (Sign(0) = 0 where BipolarQuant gives +1: a BatchNorm output exactly 0). Other weights and
/// nodes are copied as they are. An error names the file when nothing is k-bit.
onnx::ModelProto to_qonnx(const onnx::ModelProto& model, const std::string& file, QonnxExport* what = nullptr);

}  // namespace cnnfi::onnx_io
