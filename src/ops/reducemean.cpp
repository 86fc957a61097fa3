// ONNX ReduceMean over `axes` (all axes when absent), keeping them when keepdims=1 (default).
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_ReduceMean(const OpContext& ctx) {
  const auto axes = ctx.attr_ints("axes", {});
  const bool keep = ctx.attr_int("keepdims", 1) != 0;
  const std::string where = ctx.node().describe();
  return [=](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor& x = in[0];
    std::vector<int64_t> dims;
    if (axes.empty())
      for (int64_t d = 0; d < x.dim(); ++d) dims.push_back(d);
    for (auto a : axes) dims.push_back(normalize_axis(a, x.dim(), where));
    return {x.mean(dims, keep)};
  };
}

}  // namespace cnnfi::ops
