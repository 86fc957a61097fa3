// ONNX Gather: out = data indexed along `axis` by `indices` (negative indices count from the end).
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Gather(const OpContext& ctx) {
  const int64_t axis = ctx.attr_int("axis", 0);
  const std::string where = ctx.node().describe();
  return [axis, where](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor& data = in[0];
    const int64_t a = normalize_axis(axis, data.dim(), where);
    at::Tensor idx = in[1].to(at::kLong);
    idx = at::where(idx < 0, idx + data.size(a), idx);
    std::vector<int64_t> shape(data.sizes().begin(), data.sizes().begin() + a);
    for (auto d : idx.sizes()) shape.push_back(d);
    for (int64_t d = a + 1; d < data.dim(); ++d) shape.push_back(data.size(d));
    return {data.index_select(a, idx.reshape({-1})).reshape(shape)};
  };
}

}  // namespace cnnfi::ops
