// ONNX Pad: modes constant, reflect and edge; pads from the attribute (before opset 11) or the
// input; negative pads crop. Reflect and edge are done by index gathering, one axis at a time,
// so they work for any rank.
#include "ops/op.h"

namespace cnnfi::ops {

namespace {

at::Tensor pad_axis_by_index(const at::Tensor& x, int64_t axis, int64_t before, int64_t after, bool reflect,
                             const std::string& where) {
  const int64_t n = x.size(axis);
  if (n == 0) fail("{}: cannot {}-pad an empty axis", where, reflect ? "reflect" : "edge");
  std::vector<int64_t> idx;
  for (int64_t i = -before; i < n + after; ++i) {
    int64_t j = i;
    if (reflect) {
      if (n == 1) {
        j = 0;
      } else {
        const int64_t period = 2 * (n - 1);
        j = ((j % period) + period) % period;
        if (j >= n) j = period - j;
      }
    } else {
      j = std::min(std::max<int64_t>(j, 0), n - 1);
    }
    idx.push_back(j);
  }
  return x.index_select(axis, at::tensor(idx, at::kLong));
}

}  // namespace

KernelFn make_Pad(const OpContext& ctx) {
  const std::string mode = ctx.attr_string("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    ctx.error("mode '" + mode + "' is not one of constant, reflect, edge");
  const bool from_attr = ctx.opset() < 11;
  const auto attr_pads = ctx.attr_ints(ctx.opset() < 2 ? "paddings" : "pads", {});
  const double attr_value = ctx.attr_float("value", 0.0f);
  const std::string where = ctx.node().describe();
  return [=](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor& x = in[0];
    const std::vector<int64_t> pads = from_attr ? attr_pads : to_int_vector(in[1]);
    const int64_t rank = x.dim();
    if (static_cast<int64_t>(pads.size()) != 2 * rank)
      fail("{}: {} pads for a rank-{} input (need {})", where, pads.size(), rank, 2 * rank);
    if (mode == "constant") {
      double value = attr_value;
      if (!from_attr && in.size() > 2 && in[2].defined() && in[2].numel() > 0) value = in[2].item<double>();
      std::vector<int64_t> tp;
      for (int64_t d = rank; d-- > 0;) {
        tp.push_back(pads[d]);
        tp.push_back(pads[d + rank]);
      }
      return {at::constant_pad_nd(x, tp, value)};
    }
    at::Tensor y = x;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t before = pads[d], after = pads[d + rank];
      if (before < 0) { y = y.narrow(d, -before, y.size(d) + before); before = 0; }
      if (after < 0) { y = y.narrow(d, 0, y.size(d) + after); after = 0; }
      if (before || after) y = pad_axis_by_index(y, d, before, after, mode == "reflect", where);
    }
    return {y.contiguous()};
  };
}

}  // namespace cnnfi::ops
