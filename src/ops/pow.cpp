// ONNX Pow: y = x ^ exponent with numpy-style broadcasting (legacy broadcast before opset 7); the
// output has x's element type: an integer base raised to a float exponent is computed in double
// and converted back, as ONNX's reference does.
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Pow(const OpContext& ctx) {
  const LegacyBroadcast lb = legacy_broadcast(ctx);
  return [lb](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor& x = in[0];
    const at::Tensor e = lb.align(x, in[1]);
    if (at::isFloatingType(x.scalar_type())) return {at::pow(x, e.to(x.scalar_type()))};
    return {at::pow(x.to(at::kDouble), e.to(at::kDouble)).to(x.scalar_type())};
  };
}

}  // namespace cnnfi::ops
