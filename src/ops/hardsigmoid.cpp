// ONNX HardSigmoid: y = max(0, min(1, alpha * x + beta)), alpha 0.2 and beta 0.5 by default
// (MobileNetV3's hard sigmoid as PyTorch exports it: alpha 1/6).
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_HardSigmoid(const OpContext& ctx) {
  const double alpha = ctx.attr_float("alpha", 0.2f), beta = ctx.attr_float("beta", 0.5f);
  return [alpha, beta](const Inputs& in, const RunState&) -> Outputs {
    return {at::clamp(in[0] * alpha + beta, 0.0, 1.0)};
  };
}

}  // namespace cnnfi::ops
