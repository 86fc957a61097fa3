// QONNX BipolarQuant: binary quantisation with inputs (X, scale): Y = (X >= 0 ? +1 : -1) * scale.
// FINN's binarised networks (seed 002's CNV and TFC) store their weights and activations so.
#include "ops/qonnx_common.h"

namespace cnnfi::ops {

KernelFn make_BipolarQuant(const OpContext& ctx) {
  if (ctx.num_inputs() != 2 || !ctx.has_input(1))
    ctx.error(fmt::format("has {} inputs; BipolarQuant takes 2: X, scale", ctx.num_inputs()));
  qonnx::check_broadcast(ctx, 1, "scale");
  const std::string where = ctx.where();
  std::optional<at::Tensor> fixed;
  if (auto s = ctx.const_input(1)) {
    qonnx::check_scale(where, *s, "scale");
    fixed = s->to(at::kFloat);
  }
  return [=](const Inputs& in, const RunState&) -> Outputs {
    at::Tensor scale;
    if (fixed) {
      scale = *fixed;
    } else {
      qonnx::check_scale(where, in[1], "scale");
      scale = in[1].to(at::kFloat);
    }
    const at::Tensor x = in[0].to(at::kFloat);
    return {at::where(x >= 0, at::ones_like(x), -at::ones_like(x)) * scale};
  };
}

}  // namespace cnnfi::ops
