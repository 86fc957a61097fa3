// ONNX QLinearConv: the integer convolution of (x - x_zp) and (w - w_zp) plus the int32 bias B,
// requantised: y = saturate(round(acc * x_scale * w_scale / y_scale) + y_zp); w_scale and w_zp
// may be per output channel. Exact in double.
#include "ops/quantization.h"
#include "ops/spatial.h"

namespace cnnfi::ops {

KernelFn make_QLinearConv(const OpContext& ctx) {
  std::vector<int64_t> kernel;
  if (auto s = ctx.input_shape(3); s && s->size() > 2) kernel.assign(s->begin() + 2, s->end());
  const Window w = read_window(ctx, kernel);
  const int64_t groups = ctx.attr_int("group", 1);
  return [w, groups](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor x = in[0].to(at::kDouble) - zero_point(in[2]);
    const at::Tensor wt = in[3].to(at::kDouble) - along(zero_point(in[5]), in[3], 0);
    const at::Tensor bias = in.size() > 8 && in[8].defined() ? in[8].to(at::kDouble) : at::Tensor();
    const at::Tensor acc = convolve(w, groups, x, wt, bias);
    const at::Tensor m = along(in[1].to(at::kDouble) * in[4].to(at::kDouble) / in[6].to(at::kDouble), acc, 1);
    return {saturate(at::round(acc * m) + zero_point(in[7]), in[7].scalar_type())};
  };
}

}  // namespace cnnfi::ops
