// ONNX Shape: the input's dimensions as int64, optionally sliced by start/end (opset 15).
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Shape(const OpContext& ctx) {
  const int64_t start = ctx.attr_int("start", 0);
  const bool has_end = ctx.has_attr("end");
  const int64_t end = ctx.attr_int("end", 0);
  return [=](const Inputs& in, const RunState&) -> Outputs {
    const int64_t rank = in[0].dim();
    int64_t s = start < 0 ? start + rank : start;
    int64_t e = has_end ? (end < 0 ? end + rank : end) : rank;
    s = std::clamp<int64_t>(s, 0, rank);
    e = std::clamp<int64_t>(e, 0, rank);
    std::vector<int64_t> dims(in[0].sizes().begin() + s, in[0].sizes().begin() + std::max(s, e));
    return {at::tensor(dims, at::kLong)};
  };
}

}  // namespace cnnfi::ops
