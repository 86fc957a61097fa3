// ONNX LayerNormalization (opset 17): normalises X over the axes from `axis` (default -1) to the
// last, y = (x - mean) / sqrt(var + epsilon) * Scale + B (B optional), with the optional outputs
// Mean and InvStdDev shaped as X with the normalised axes set to 1. Statistics are computed in
// float32 (stash_type 1, the only value ONNX defines) also for float16/bfloat16 inputs.
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_LayerNormalization(const OpContext& ctx) {
  const int64_t axis = ctx.attr_int("axis", -1);
  const double eps = ctx.attr_float("epsilon", 1e-5f);
  if (ctx.attr_int("stash_type", 1) != 1) ctx.error("stash_type must be 1 (float32 statistics)");
  const std::string where = ctx.node().describe();
  const bool want_stats = ctx.has_output(1) || ctx.has_output(2);
  return [=](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor& x = in[0];
    const int64_t a = normalize_axis(axis, x.dim(), where);
    const auto normalized = x.sizes().slice(static_cast<size_t>(a));
    const at::Tensor& scale = in[1];
    const at::Tensor bias = in.size() > 2 && in[2].defined() ? in[2] : at::Tensor();
    // The common case (float32, Scale and B of the normalised shape) runs PyTorch's own kernel.
    if (!want_stats && x.scalar_type() == at::kFloat && scale.sizes() == normalized &&
        (!bias.defined() || bias.sizes() == normalized))
      return {at::layer_norm(x, normalized, scale, bias, eps)};
    std::vector<int64_t> dims;
    for (int64_t d = a; d < x.dim(); ++d) dims.push_back(d);
    const at::Tensor xf = x.to(at::kFloat);
    const at::Tensor mean = xf.mean(dims, true);
    const at::Tensor centred = xf - mean;
    const at::Tensor inv = at::rsqrt((centred * centred).mean(dims, true) + eps);
    at::Tensor y = (centred * inv).to(x.scalar_type()) * scale;
    if (bias.defined()) y = y + bias;
    return {y, mean, inv};
  };
}

}  // namespace cnnfi::ops
