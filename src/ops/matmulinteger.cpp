// ONNX MatMulInteger: y = matmul(a - a_zero_point, b - b_zero_point) as int32, exact (double);
// b's zero point may be per column.
#include "ops/quantization.h"

namespace cnnfi::ops {

KernelFn make_MatMulInteger(const OpContext&) {
  return [](const Inputs& in, const RunState&) -> Outputs {
    at::Tensor a = in[0].to(at::kDouble), b = in[1].to(at::kDouble);
    if (in.size() > 2 && in[2].defined()) a = a - (in[2].numel() == 1 ? zero_point(in[2]).reshape({}) : zero_point(in[2]).reshape({-1, 1}));
    if (in.size() > 3 && in[3].defined()) b = b - zero_point(in[3]).reshape(in[3].numel() == 1 ? std::vector<int64_t>{} : std::vector<int64_t>{-1});
    return {at::matmul(a, b).to(at::kInt)};
  };
}

}  // namespace cnnfi::ops
