// ONNX Dropout: identity at inference (the optional mask output is all true); in training, each
// element is kept with probability 1 - ratio (default 0.5) and scaled by 1 / (1 - ratio), the
// mask drawn from the trainer's seeded generator.
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Dropout(const OpContext& ctx) {
  const bool mask = ctx.has_output(1);
  double ratio = ctx.attr_float("ratio", 0.5f);  // opset < 12
  if (auto r = ctx.const_input(1)) ratio = r->item<double>();
  if (!(ratio >= 0 && ratio < 1)) ctx.error("ratio must be in [0, 1)");
  return [mask, ratio](const Inputs& in, const RunState& rs) -> Outputs {
    if (!rs.training || ratio == 0) {
      if (!mask) return {in[0]};
      return {in[0], at::ones(in[0].sizes(), at::kBool)};
    }
    at::Generator gen = rs.generator;
    const at::Tensor keep = at::bernoulli(at::full(in[0].sizes(), 1 - ratio, in[0].options()), gen) > 0;
    const at::Tensor y = in[0] * keep.to(in[0].scalar_type()) / (1 - ratio);
    if (!mask) return {y};
    return {y, keep};
  };
}

}  // namespace cnnfi::ops
