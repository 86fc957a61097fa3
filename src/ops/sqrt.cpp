// ONNX Sqrt (NaN for negative inputs, as IEEE-754).
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Sqrt(const OpContext&) {
  return [](const Inputs& in, const RunState&) -> Outputs { return {at::sqrt(in[0])}; };
}

}  // namespace cnnfi::ops
