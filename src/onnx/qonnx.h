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
