// ONNX Clip: bounds are attributes before opset 11, optional inputs from opset 11.
#include <limits>

#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Clip(const OpContext& ctx) {
  if (ctx.opset() < 11) {
    const double lo = ctx.attr_float("min", -std::numeric_limits<float>::max());
    const double hi = ctx.attr_float("max", std::numeric_limits<float>::max());
    return [lo, hi](const Inputs& in, const RunState&) -> Outputs { return {at::clamp(in[0], lo, hi)}; };
  }
  return [](const Inputs& in, const RunState&) -> Outputs {
    at::Tensor y = in[0];
    // ONNX: when min > max every output equals max, so apply the lower bound first.
    if (in.size() > 1 && in[1].defined()) y = at::maximum(y, in[1].to(y.scalar_type()));
    if (in.size() > 2 && in[2].defined()) y = at::minimum(y, in[2].to(y.scalar_type()));
    return {y};
  };
}

}  // namespace cnnfi::ops
