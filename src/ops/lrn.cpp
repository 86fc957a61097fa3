// ONNX LRN: y = x / (bias + alpha / size * sum of x^2 over a window of `size` channels)^beta,
// the window spanning floor((size-1)/2) channels before and ceil((size-1)/2) after.
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_LRN(const OpContext& ctx) {
  const double alpha = ctx.attr_float("alpha", 1e-4f);
  const double beta = ctx.attr_float("beta", 0.75f);
  const double bias = ctx.attr_float("bias", 1.0f);
  const int64_t size = ctx.attr_int("size", 0);
  if (size <= 0) ctx.error("attribute 'size' must be a positive integer");
  return [=](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor& x = in[0];
    const int64_t before = (size - 1) / 2, after = size - 1 - before;
    // Sum of squares across channels as a 1-D sliding window over axis 1.
    at::Tensor sq = (x * x).reshape({x.size(0), 1, x.size(1), -1});  // N,1,C,S
    sq = at::constant_pad_nd(sq, {0, 0, before, after}, 0);
    const at::Tensor sum = at::avg_pool2d(sq, {size, 1}, {1, 1}) * static_cast<double>(size);
    const at::Tensor denom = at::pow(sum.squeeze(1).reshape(x.sizes()) * (alpha / size) + bias, beta);
    return {x / denom};
  };
}

}  // namespace cnnfi::ops
