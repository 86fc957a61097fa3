// ONNX Dropout: identity at inference (cnnfi never trains with dropout); the optional mask
// output is all true.
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Dropout(const OpContext& ctx) {
  const bool mask = ctx.has_output(1);
  return [mask](const Inputs& in, const RunState&) -> Outputs {
    if (!mask) return {in[0]};
    return {in[0], at::ones(in[0].sizes(), at::kBool)};
  };
}

}  // namespace cnnfi::ops
