// ONNX ConstantOfShape: a tensor of the input shape filled with `value` (default float 0).
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_ConstantOfShape(const OpContext& ctx) {
  at::Tensor value = ctx.has_attr("value") ? ctx.attr_tensor("value") : at::zeros({1}, at::kFloat);
  if (value.numel() != 1) ctx.error("attribute 'value' must hold exactly one element");
  return [value](const Inputs& in, const RunState&) -> Outputs {
    return {at::full(to_int_vector(in[0]), value.reshape({}).item(), value.options())};
  };
}

}  // namespace cnnfi::ops
