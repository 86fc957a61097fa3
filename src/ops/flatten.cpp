// ONNX Flatten: to 2-D, dimensions before `axis` (default 1) become the first.
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Flatten(const OpContext& ctx) {
  const int64_t axis = ctx.attr_int("axis", 1);
  const std::string where = ctx.node().describe();
  return [axis, where](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor& x = in[0];
    const int64_t a = axis < 0 ? axis + x.dim() : axis;
    if (a < 0 || a > x.dim()) fail("{}: axis {} out of range for rank {}", where, axis, x.dim());
    int64_t outer = 1;
    for (int64_t d = 0; d < a; ++d) outer *= x.size(d);
    int64_t inner = 1;
    for (int64_t d = a; d < x.dim(); ++d) inner *= x.size(d);
    return {x.reshape({outer, inner})};
  };
}

}  // namespace cnnfi::ops
