// ONNX Concat along `axis` (negative allowed from opset 11).
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Concat(const OpContext& ctx) {
  if (!ctx.has_attr("axis") && ctx.opset() >= 4) ctx.error("attribute 'axis' is required");
  const int64_t axis = ctx.attr_int("axis", 1);
  const std::string where = ctx.node().describe();
  return [axis, where](const Inputs& in, const RunState&) -> Outputs {
    std::vector<at::Tensor> parts;
    for (const auto& t : in)
      if (t.defined()) parts.push_back(t);
    if (parts.empty()) fail("{}: no inputs", where);
    return {at::cat(parts, normalize_axis(axis, parts[0].dim(), where))};
  };
}

}  // namespace cnnfi::ops
