// ONNX Sign: -1, 0 or +1. The binarised networks of seed 002 train through it: when autograd
// records (training), the gradient is the straight-through estimator of BinaryNet (that of
// hardtanh: 1 on [-1, 1], 0 outside); the forward value is sign(x) exactly either way.
#include <c10/core/GradMode.h>

#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Sign(const OpContext&) {
  return [](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor& x = in[0];
    if (!(at::GradMode::is_enabled() && x.requires_grad())) return {at::sign(x)};
    const at::Tensor h = at::clamp(x, -1, 1);
    return {at::sign(x).detach() + (h - h.detach())};
  };
}

}  // namespace cnnfi::ops
