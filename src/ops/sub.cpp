// ONNX Sub: elementwise with numpy-style broadcasting.
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Sub(const OpContext& ctx) {
  const LegacyBroadcast lb = legacy_broadcast(ctx);
  return [lb](const Inputs& in, const RunState&) -> Outputs { return {at::sub(in[0], lb.align(in[0], in[1]))}; };
}

}  // namespace cnnfi::ops
