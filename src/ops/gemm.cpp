// ONNX Gemm: Y = alpha * A' * B' + beta * C, with A' = A^T if transA and B' = B^T if transB.
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Gemm(const OpContext& ctx) {
  const double alpha = ctx.attr_float("alpha", 1.0f);
  const double beta = ctx.attr_float("beta", 1.0f);
  const bool trans_a = ctx.attr_int("transA", 0) != 0;
  const bool trans_b = ctx.attr_int("transB", 0) != 0;
  return [=](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor a = trans_a ? in[0].t() : in[0];
    const at::Tensor b = trans_b ? in[1].t() : in[1];
    const bool has_c = in.size() > 2 && in[2].defined();
    if (has_c) return {at::addmm(in[2], a, b, beta, alpha)};
    at::Tensor y = at::mm(a, b);
    if (alpha != 1.0) y = y * alpha;
    return {y};
  };
}

}  // namespace cnnfi::ops
