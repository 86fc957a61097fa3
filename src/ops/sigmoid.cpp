// ONNX Sigmoid.
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Sigmoid(const OpContext&) {
  return [](const Inputs& in, const RunState&) -> Outputs { return {at::sigmoid(in[0])}; };
}

}  // namespace cnnfi::ops
