// ONNX Slice: starts/ends/axes as attributes (opset 1-9) or inputs with optional steps (10+).
// Out-of-range bounds are clamped as ONNX specifies; negative steps walk backwards.
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Slice(const OpContext& ctx) {
  const bool from_attr = ctx.opset() < 10;
  const auto a_starts = ctx.attr_ints("starts", {});
  const auto a_ends = ctx.attr_ints("ends", {});
  const auto a_axes = ctx.attr_ints("axes", {});
  const std::string where = ctx.node().describe();
  return [=](const Inputs& in, const RunState&) -> Outputs {
    at::Tensor y = in[0];
    const auto starts = from_attr ? a_starts : to_int_vector(in[1]);
    const auto ends = from_attr ? a_ends : to_int_vector(in[2]);
    auto axes = from_attr ? a_axes : (in.size() > 3 && in[3].defined() ? to_int_vector(in[3]) : std::vector<int64_t>{});
    auto steps = (!from_attr && in.size() > 4 && in[4].defined()) ? to_int_vector(in[4]) : std::vector<int64_t>{};
    if (axes.empty())
      for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
      fail("{}: starts, ends, axes and steps have different lengths", where);
    for (size_t i = 0; i < starts.size(); ++i) {
      const int64_t axis = normalize_axis(axes[i], y.dim(), where);
      const int64_t dim = y.size(axis);
      const int64_t step = steps[i];
      if (step == 0) fail("{}: step 0 on axis {}", where, axis);
      if (dim == 0) continue;
      int64_t s = starts[i] < 0 ? starts[i] + dim : starts[i];
      int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
      if (step > 0) {
        s = std::clamp<int64_t>(s, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
        y = y.slice(axis, s, std::max(s, e), step);
      } else {
        s = std::clamp<int64_t>(s, 0, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
        if (s <= e) {
          y = y.narrow(axis, 0, 0);
        } else {
          const at::Tensor idx = at::arange(s, e, step, at::kLong);
          y = y.index_select(axis, idx);
        }
      }
    }
    return {y.contiguous()};
  };
}

}  // namespace cnnfi::ops
