// ONNX Constant: a tensor (`value`) or, from opset 12, a scalar or list attribute.
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Constant(const OpContext& ctx) {
  at::Tensor t;
  if (ctx.has_attr("value")) {
    t = ctx.attr_tensor("value");
  } else if (ctx.has_attr("value_float")) {
    t = at::scalar_tensor(ctx.attr_float("value_float", 0), at::kFloat);
  } else if (ctx.has_attr("value_floats")) {
    const auto v = ctx.attr_floats("value_floats");
    t = at::tensor(v, at::kFloat);
  } else if (ctx.has_attr("value_int")) {
    t = at::scalar_tensor(ctx.attr_int("value_int", 0), at::kLong);
  } else if (ctx.has_attr("value_ints")) {
    t = at::tensor(ctx.attr_ints("value_ints"), at::kLong);
  } else {
    ctx.error("needs one of the attributes value, value_float(s), value_int(s) (sparse and string values are not supported)");
  }
  return [t](const Inputs&, const RunState&) -> Outputs { return {t}; };
}

}  // namespace cnnfi::ops
