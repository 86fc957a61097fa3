#include "ops/quantization.h"

namespace cnnfi::ops {

at::Tensor along(const at::Tensor& p, const at::Tensor& x, int64_t axis) {
  const at::Tensor d = p.to(at::kDouble);
  if (d.dim() == 0 || d.numel() == 1) return d.reshape({});
  std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
  shape.at(static_cast<size_t>(normalize_axis(axis, x.dim(), "axis"))) = d.numel();
  return d.reshape(shape);
}

at::Tensor zero_point(const at::Tensor& zp) { return zp.defined() ? zp.to(at::kDouble) : at::zeros({}, at::kDouble); }

at::Tensor saturate(const at::Tensor& v, at::ScalarType type) {
  const double lo = type == at::kByte ? 0 : type == at::kChar ? -128 : -2147483648.0;
  const double hi = type == at::kByte ? 255 : type == at::kChar ? 127 : 2147483647.0;
  return at::round(v).clamp_(lo, hi).to(type);
}

}  // namespace cnnfi::ops
