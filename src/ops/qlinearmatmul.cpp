// ONNX QLinearMatMul: y = saturate(round(matmul(a - a_zp, b - b_zp) * a_scale * b_scale / y_scale)
// + y_zp); b's scale and zero point may be per column. Exact in double.
#include "ops/quantization.h"

namespace cnnfi::ops {

KernelFn make_QLinearMatMul(const OpContext&) {
  return [](const Inputs& in, const RunState&) -> Outputs {
    auto col = [](const at::Tensor& p) { return p.numel() == 1 ? p.to(at::kDouble).reshape({}) : p.to(at::kDouble).reshape({-1}); };
    const at::Tensor a = in[0].to(at::kDouble) - col(in[2]);
    const at::Tensor b = in[3].to(at::kDouble) - col(in[5]);
    const at::Tensor acc = at::matmul(a, b);
    const at::Tensor m = col(in[1]) * col(in[4]) / col(in[6]);
    return {saturate(at::round(acc * m) + col(in[7]), in[7].scalar_type())};
  };
}

}  // namespace cnnfi::ops
