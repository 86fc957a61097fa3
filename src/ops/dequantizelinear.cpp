// ONNX DequantizeLinear: y = (x - x_zero_point) * x_scale, per tensor or along `axis`.
#include "ops/quantization.h"

namespace cnnfi::ops {

KernelFn make_DequantizeLinear(const OpContext& ctx) {
  const int64_t axis = ctx.attr_int("axis", 1);
  return [axis](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor x = in[0].to(at::kDouble);
    const at::Tensor zp = in.size() > 2 ? in[2] : at::Tensor();
    return {((x - along(zero_point(zp), x, axis)) * along(in[1], x, axis)).to(at::kFloat)};
  };
}

}  // namespace cnnfi::ops
