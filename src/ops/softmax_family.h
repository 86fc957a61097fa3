// Shared by Softmax and LogSoftmax. From opset 13 they work along one axis (default -1);
// before, the input is coerced to 2-D at `axis` (default 1) and normalised over the flattened
// trailing dimensions.
#pragma once
#include "ops/op.h"

namespace cnnfi::ops {

inline KernelFn make_softmax_family(const OpContext& ctx, bool log) {
  const bool legacy = ctx.opset() < 13;
  const int64_t axis = ctx.attr_int("axis", legacy ? 1 : -1);
  const std::string where = ctx.node().describe();
  return [legacy, axis, where, log](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor& x = in[0];
    const int64_t a = normalize_axis(axis, x.dim(), where);
    auto f = [log](const at::Tensor& t, int64_t d) { return log ? at::log_softmax(t, d) : at::softmax(t, d); };
    if (!legacy) return {f(x, a)};
    int64_t outer = 1;
    for (int64_t d = 0; d < a; ++d) outer *= x.size(d);
    return {f(x.reshape({outer, -1}), 1).reshape(x.sizes())};
  };
}

}  // namespace cnnfi::ops
