// ONNX LogSoftmax. From opset 13 it works along one axis (default -1); before, the input is
// coerced to 2-D at `axis` (default 1) and normalised over the flattened trailing dimensions.
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_LogSoftmax(const OpContext& ctx) {
  const bool legacy = ctx.opset() < 13;
  const int64_t axis = ctx.attr_int("axis", legacy ? 1 : -1);
  const std::string where = ctx.node().describe();
  return [legacy, axis, where](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor& x = in[0];
    const int64_t a = normalize_axis(axis, x.dim(), where);
    if (!legacy) return {at::log_softmax(x, a)};
    const auto sizes = x.sizes();
    int64_t outer = 1;
    for (int64_t d = 0; d < a; ++d) outer *= sizes[d];
    return {at::log_softmax(x.reshape({outer, -1}), 1).reshape(sizes)};
  };
}

}  // namespace cnnfi::ops
