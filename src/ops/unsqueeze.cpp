// ONNX Unsqueeze: insert size-1 axes at positions of the output (`axes` attribute before opset
// 13, input from 13; negative axes count from the end of the output).
#include <algorithm>

#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Unsqueeze(const OpContext& ctx) {
  const bool from_attr = ctx.opset() < 13;
  const auto attr_axes = ctx.attr_ints("axes", {});
  const std::string where = ctx.node().describe();
  return [=](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor& x = in[0];
    std::vector<int64_t> axes = from_attr ? attr_axes : to_int_vector(in[1]);
    const int64_t rank = x.dim() + static_cast<int64_t>(axes.size());
    for (auto& a : axes) a = normalize_axis(a, rank, where);
    std::sort(axes.begin(), axes.end());
    std::vector<int64_t> shape;
    int64_t src = 0;
    for (int64_t d = 0; d < rank; ++d) {
      if (std::binary_search(axes.begin(), axes.end(), d)) shape.push_back(1);
      else shape.push_back(x.size(src++));
    }
    return {x.reshape(shape)};
  };
}

}  // namespace cnnfi::ops
