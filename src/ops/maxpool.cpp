// ONNX MaxPool (1-D to 3-D, pads, auto_pad, dilations, ceil_mode, optional Indices output with
// storage_order 0). Pads beyond what libtorch accepts are applied explicitly with the lowest value.
#include <limits>

#include "ops/spatial.h"

namespace cnnfi::ops {

namespace {

std::tuple<at::Tensor, at::Tensor> pool(const at::Tensor& x, const Window& w, const std::vector<int64_t>& pad,
                                        bool ceil, bool with_indices) {
  switch (w.kernel.size()) {
    case 1:
      if (with_indices) {
        auto r = at::max_pool2d_with_indices(x.unsqueeze(2), {1, w.kernel[0]}, {1, w.strides[0]}, {0, pad[0]},
                                             {1, w.dilations[0]}, ceil);
        return {std::get<0>(r).squeeze(2), std::get<1>(r).squeeze(2)};
      }
      return {at::max_pool1d(x, w.kernel, w.strides, pad, w.dilations, ceil), at::Tensor()};
    case 2:
      if (with_indices) return at::max_pool2d_with_indices(x, w.kernel, w.strides, pad, w.dilations, ceil);
      return {at::max_pool2d(x, w.kernel, w.strides, pad, w.dilations, ceil), at::Tensor()};
    case 3:
      if (with_indices) return at::max_pool3d_with_indices(x, w.kernel, w.strides, pad, w.dilations, ceil);
      return {at::max_pool3d(x, w.kernel, w.strides, pad, w.dilations, ceil), at::Tensor()};
    default:
      fail("MaxPool over {} spatial axes is not supported", w.kernel.size());
  }
}

}  // namespace

KernelFn make_MaxPool(const OpContext& ctx) {
  const Window w = read_window(ctx);
  const bool ceil = ctx.attr_int("ceil_mode", 0) != 0;
  const bool want_indices = ctx.has_output(1);
  const bool column_major = ctx.attr_int("storage_order", 0) != 0;
  if (want_indices && column_major && ctx.attr_ints("kernel_shape", {}).size() != 2)
    ctx.error("MaxPool Indices with storage_order=1 (column major) are supported for 2-D pooling only");
  const std::string where = ctx.node().describe();
  return [w, ceil, want_indices, column_major, where](const Inputs& in, const RunState&) -> Outputs {
    // libtorch pools floating point only; 8-bit and 16-bit integers are exact in float.
    const bool integral = at::isIntegralType(in[0].scalar_type(), /*includeBool=*/false);
    const at::Tensor x = integral ? in[0].to(at::kFloat) : in[0];
    const auto back = [&](const at::Tensor& t) { return integral ? t.to(in[0].scalar_type()) : t; };
    const size_t k = w.kernel.size();
    const auto pads = resolve_pads(w, x.sizes().slice(2));
    bool native = symmetric(pads);
    for (size_t i = 0; i < k && native; ++i) native = pads[i] * 2 <= w.kernel[i];
    if (native) {
      auto [y, idx] = pool(x, w, first_half(pads), ceil, want_indices);
      if (!want_indices) return {back(y)};
      // libtorch indexes within each (n, c) plane; ONNX flattens over the whole tensor.
      int64_t plane = 1;
      for (size_t i = 0; i < k; ++i) plane *= x.size(2 + i);
      std::vector<int64_t> shape(y.dim(), 1);
      shape[0] = x.size(0);
      shape[1] = x.size(1);
      const at::Tensor offset = at::arange(x.size(0) * x.size(1), at::kLong).reshape(shape) * plane;
      if (column_major) {  // within a plane, index = w * H + h instead of h * W + w
        const int64_t h = x.size(2), wd = x.size(3);
        idx = (idx % wd) * h + idx / wd;
      }
      return {back(y), idx + offset};
    }
    if (want_indices) fail("{}: Indices with pads larger than half the kernel are not supported", where);
    const double lowest = at::isFloatingType(x.scalar_type()) ? -std::numeric_limits<double>::infinity()
                                                               : x.min().item<double>();
    const at::Tensor xp = at::constant_pad_nd(x, torch_pad_order(pads), lowest);
    return {back(std::get<0>(pool(xp, w, std::vector<int64_t>(k, 0), ceil, false)))};
  };
}

}  // namespace cnnfi::ops
