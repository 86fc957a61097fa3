// ONNX Squeeze: remove size-1 axes given by the `axes` attribute (before opset 13) or input
// (from 13); all size-1 axes when none are given.
#include <algorithm>

#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Squeeze(const OpContext& ctx) {
  const bool from_attr = ctx.opset() < 13;
  const auto attr_axes = ctx.attr_ints("axes", {});
  const std::string where = ctx.node().describe();
  return [=](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor& x = in[0];
    std::vector<int64_t> axes = from_attr ? attr_axes : (in.size() > 1 && in[1].defined() ? to_int_vector(in[1])
                                                                                          : std::vector<int64_t>{});
    std::vector<int64_t> shape;
    for (int64_t d = 0; d < x.dim(); ++d) {
      bool drop = false;
      if (axes.empty()) {
        drop = x.size(d) == 1;
      } else {
        for (auto a : axes) drop = drop || normalize_axis(a, x.dim(), where) == d;
        if (drop && x.size(d) != 1) fail("{}: cannot squeeze axis {} of size {}", where, d, x.size(d));
      }
      if (!drop) shape.push_back(x.size(d));
    }
    return {x.reshape(shape)};
  };
}

}  // namespace cnnfi::ops
