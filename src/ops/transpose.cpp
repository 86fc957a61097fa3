// ONNX Transpose: permute axes by `perm` (default: reverse them).
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Transpose(const OpContext& ctx) {
  const auto perm = ctx.attr_ints("perm", {});
  return [perm](const Inputs& in, const RunState&) -> Outputs {
    std::vector<int64_t> p = perm;
    if (p.empty())
      for (int64_t d = in[0].dim() - 1; d >= 0; --d) p.push_back(d);
    return {in[0].permute(p).contiguous()};
  };
}

}  // namespace cnnfi::ops
