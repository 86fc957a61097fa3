// ONNX Conv (1-D to 3-D, groups, depthwise, dilation, explicit or automatic pads).
#include "ops/spatial.h"

namespace cnnfi::ops {

KernelFn make_Conv(const OpContext& ctx) {
  std::vector<int64_t> kernel;
  if (auto s = ctx.input_shape(1); s && s->size() > 2) kernel.assign(s->begin() + 2, s->end());
  const Window w = read_window(ctx, kernel);
  const int64_t groups = ctx.attr_int("group", 1);
  const std::string where = ctx.node().describe();
  return [w, groups, where](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor& x = in[0];
    const at::Tensor& weight = in[1];
    const at::Tensor bias = in.size() > 2 ? in[2] : at::Tensor();
    const size_t k = w.kernel.size();
    if (x.dim() != static_cast<int64_t>(k) + 2)
      fail("{}: input has rank {}, expected {}", where, x.dim(), k + 2);
    return {convolve(w, groups, x, weight, bias)};
  };
}

}  // namespace cnnfi::ops
