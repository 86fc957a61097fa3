// ONNX Div: elementwise with broadcasting; integer division truncates toward zero (as C and the
// ONNX reference do).
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Div(const OpContext& ctx) {
  const LegacyBroadcast lb = legacy_broadcast(ctx);
  return [lb](const Inputs& in, const RunState&) -> Outputs {
    if (at::isIntegralType(in[0].scalar_type(), /*includeBool=*/false))
      return {at::div(in[0], lb.align(in[0], in[1]), "trunc")};
    return {at::div(in[0], lb.align(in[0], in[1]))};
  };
}

}  // namespace cnnfi::ops
