// ONNX Relu.
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Relu(const OpContext&) {
  return [](const Inputs& in, const RunState&) -> Outputs { return {at::relu(in[0])}; };
}

}  // namespace cnnfi::ops
