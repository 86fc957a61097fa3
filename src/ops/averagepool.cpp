// ONNX AveragePool (1-D to 3-D, pads, auto_pad, ceil_mode, count_include_pad).
// Symmetric pads within half the kernel run natively; otherwise the input is padded explicitly
// and, when padding must not count, divided by the pooled count of real elements.
#include "ops/spatial.h"

namespace cnnfi::ops {

namespace {

at::Tensor avg(const at::Tensor& x, const Window& w, const std::vector<int64_t>& pad, bool ceil, bool include) {
  switch (w.kernel.size()) {
    case 1: return at::avg_pool1d(x, w.kernel, w.strides, pad, ceil, include);
    case 2: return at::avg_pool2d(x, w.kernel, w.strides, pad, ceil, include);
    case 3: return at::avg_pool3d(x, w.kernel, w.strides, pad, ceil, include);
    default: fail("AveragePool over {} spatial axes is not supported", w.kernel.size());
  }
}

}  // namespace

KernelFn make_AveragePool(const OpContext& ctx) {
  const Window w = read_window(ctx);
  const bool ceil = ctx.attr_int("ceil_mode", 0) != 0;
  const bool include = ctx.attr_int("count_include_pad", 0) != 0;
  for (auto d : w.dilations)
    if (d != 1) ctx.error("AveragePool with dilations other than 1 is not supported");
  return [w, ceil, include](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor& x = in[0];
    const size_t k = w.kernel.size();
    const auto pads = resolve_pads(w, x.sizes().slice(2));
    bool native = symmetric(pads);
    for (size_t i = 0; i < k && native; ++i) native = pads[i] * 2 <= w.kernel[i];
    if (native) return {avg(x, w, first_half(pads), ceil, include)};
    const std::vector<int64_t> zero(k, 0);
    const auto tp = torch_pad_order(pads);
    const at::Tensor xp = at::constant_pad_nd(x, tp, 0);
    if (include) return {avg(xp, w, zero, ceil, true)};
    std::vector<int64_t> ones_shape(x.dim(), 1);
    for (size_t i = 0; i < k; ++i) ones_shape[2 + i] = x.size(2 + i);
    const at::Tensor count = at::constant_pad_nd(at::ones(ones_shape, x.options()), tp, 0);
    return {avg(xp, w, zero, ceil, true) / avg(count, w, zero, ceil, true)};
  };
}

}  // namespace cnnfi::ops
