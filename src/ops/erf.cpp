// ONNX Erf: the Gauss error function (exact GELU as PyTorch exports it: x * (erf(x / sqrt 2) + 1) / 2).
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Erf(const OpContext&) {
  return [](const Inputs& in, const RunState&) -> Outputs { return {at::erf(in[0])}; };
}

}  // namespace cnnfi::ops
