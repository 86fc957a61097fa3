// ONNX LeakyRelu: y = x for x >= 0, alpha * x otherwise (alpha defaults to 0.01).
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_LeakyRelu(const OpContext& ctx) {
  const double alpha = ctx.attr_float("alpha", 0.01f);
  return [alpha](const Inputs& in, const RunState&) -> Outputs { return {at::leaky_relu(in[0], alpha)}; };
}

}  // namespace cnnfi::ops
