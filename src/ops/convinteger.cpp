// ONNX ConvInteger: y = conv(x - x_zero_point, w - w_zero_point) as int32, exact (double).
#include "ops/quantization.h"
#include "ops/spatial.h"

namespace cnnfi::ops {

KernelFn make_ConvInteger(const OpContext& ctx) {
  std::vector<int64_t> kernel;
  if (auto s = ctx.input_shape(1); s && s->size() > 2) kernel.assign(s->begin() + 2, s->end());
  const Window w = read_window(ctx, kernel);
  const int64_t groups = ctx.attr_int("group", 1);
  return [w, groups](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor x = in[0].to(at::kDouble) - zero_point(in.size() > 2 ? in[2] : at::Tensor());
    const at::Tensor wz = in.size() > 3 && in[3].defined() ? along(in[3], in[1], 0) : at::zeros({}, at::kDouble);
    return {convolve(w, groups, x, in[1].to(at::kDouble) - wz, at::Tensor()).to(at::kInt)};
  };
}

}  // namespace cnnfi::ops
