#include "ops/spatial.h"

namespace cnnfi::ops {

Window read_window(const OpContext& ctx, const std::vector<int64_t>& kernel) {
  Window w;
  w.kernel = ctx.attr_ints("kernel_shape", kernel);
  if (w.kernel.empty()) ctx.error("kernel_shape is missing and cannot be taken from a weight");
  const size_t k = w.kernel.size();
  w.strides = ctx.attr_ints("strides", std::vector<int64_t>(k, 1));
  w.dilations = ctx.attr_ints("dilations", std::vector<int64_t>(k, 1));
  w.pads = ctx.attr_ints("pads", std::vector<int64_t>(2 * k, 0));
  w.auto_pad = ctx.attr_string("auto_pad", "NOTSET");
  if (w.strides.size() != k || w.dilations.size() != k || w.pads.size() != 2 * k)
    ctx.error("kernel_shape, strides, dilations and pads disagree on the number of spatial axes");
  if (w.auto_pad != "NOTSET" && w.auto_pad != "SAME_UPPER" && w.auto_pad != "SAME_LOWER" && w.auto_pad != "VALID")
    ctx.error("auto_pad '" + w.auto_pad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  return w;
}

std::vector<int64_t> resolve_pads(const Window& w, at::IntArrayRef in) {
  const size_t k = w.kernel.size();
  if (w.auto_pad == "NOTSET") return w.pads;
  std::vector<int64_t> pads(2 * k, 0);
  if (w.auto_pad == "VALID") return pads;
  for (size_t i = 0; i < k; ++i) {
    const int64_t out = (in[i] + w.strides[i] - 1) / w.strides[i];
    const int64_t extent = (w.kernel[i] - 1) * w.dilations[i] + 1;
    const int64_t total = std::max<int64_t>(0, (out - 1) * w.strides[i] + extent - in[i]);
    const int64_t small = total / 2;
    pads[i] = w.auto_pad == "SAME_UPPER" ? small : total - small;
    pads[i + k] = total - pads[i];
  }
  return pads;
}

bool symmetric(const std::vector<int64_t>& pads) {
  const size_t k = pads.size() / 2;
  for (size_t i = 0; i < k; ++i)
    if (pads[i] != pads[i + k]) return false;
  return true;
}

std::vector<int64_t> torch_pad_order(const std::vector<int64_t>& pads) {
  const size_t k = pads.size() / 2;
  std::vector<int64_t> out;
  for (size_t i = k; i-- > 0;) {
    out.push_back(pads[i]);
    out.push_back(pads[i + k]);
  }
  return out;
}

std::vector<int64_t> first_half(const std::vector<int64_t>& pads) {
  return {pads.begin(), pads.begin() + static_cast<long>(pads.size() / 2)};
}

at::Tensor convolve(const Window& w, int64_t groups, const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  const size_t k = w.kernel.size();
  const auto pads = resolve_pads(w, x.sizes().slice(2));
  const std::vector<int64_t> zero(k, 0);
  if (symmetric(pads)) return at::convolution(x, weight, bias, w.strides, first_half(pads), w.dilations, false, zero, groups);
  const at::Tensor xp = at::constant_pad_nd(x, torch_pad_order(pads), 0);
  return at::convolution(xp, weight, bias, w.strides, zero, w.dilations, false, zero, groups);
}

}  // namespace cnnfi::ops
