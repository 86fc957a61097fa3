// ONNX Tanh.
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Tanh(const OpContext&) {
  return [](const Inputs& in, const RunState&) -> Outputs { return {at::tanh(in[0])}; };
}

}  // namespace cnnfi::ops
