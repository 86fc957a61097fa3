// ONNX Round: to the nearest integer, halves to even. In training (autograd recording) the
// gradient passes straight through (the k-bit quantisers of seed 002's networks); the forward
// value is round(x) exactly either way.
#include <c10/core/GradMode.h>

#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Round(const OpContext&) {
  return [](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor& x = in[0];
    if (!(at::GradMode::is_enabled() && x.requires_grad())) return {at::round(x)};
    return {at::round(x).detach() + (x - x.detach())};
  };
}

}  // namespace cnnfi::ops
