// ONNX QuantizeLinear: y = saturate(round(x / y_scale) + y_zero_point), per tensor or along
// `axis` (opset 13), to the zero point's type (uint8 when absent); round half to even.
#include "ops/quantization.h"

namespace cnnfi::ops {

KernelFn make_QuantizeLinear(const OpContext& ctx) {
  const int64_t axis = ctx.attr_int("axis", 1);
  return [axis](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor& zp = in.size() > 2 ? in[2] : at::Tensor();
    const at::ScalarType type = zp.defined() ? zp.scalar_type() : at::kByte;
    const at::Tensor x = in[0].to(at::kDouble);
    return {saturate(at::round(x / along(in[1], x, axis)) + along(zero_point(zp), x, axis), type)};
  };
}

}  // namespace cnnfi::ops
