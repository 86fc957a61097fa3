// ONNX HardSwish (opset 14): y = x * max(0, min(1, x / 6 + 1/2)), as torch.nn.Hardswish.
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_HardSwish(const OpContext&) {
  return [](const Inputs& in, const RunState&) -> Outputs { return {in[0] * at::clamp(in[0] / 6.0 + 0.5, 0.0, 1.0)}; };
}

}  // namespace cnnfi::ops
