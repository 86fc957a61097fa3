// Export of a calibrated integer model as a QDQ ONNX model, the form quantisation tools write:
// each quantised layer reads DequantizeLinear(QuantizeLinear(x, s_i)) as input, its int8 weight
// and int32 bias as initializers behind DequantizeLinear (per-channel scales along the output
// channel axis), and its output passes QuantizeLinear/DequantizeLinear at s_o. A folded
// BatchNormalization is removed (its effect is in the weight and bias). Zero points are 0 (int8):
// symmetric quantisation. Any ONNX runtime that runs QDQ models runs the result; cnnfi runs it too.
#pragma once
#include <onnx/onnx_pb.h>

#include "quant/model.h"

namespace cnnfi::quant {

/// The QDQ model of `q` (which must be calibrated) on `exec`'s graph.
onnx::ModelProto export_qdq(const QuantizedModel& q, const exec::Executor& exec);

}  // namespace cnnfi::quant
