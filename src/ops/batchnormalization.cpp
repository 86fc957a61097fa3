// ONNX BatchNormalization. Inference uses the running statistics. In training mode (the
// executor's RunState, used by `cnnfi train`) it normalises with batch statistics and updates
// the running mean/variance tensors in place: running = momentum * running + (1 - momentum) *
// batch, ONNX's convention (libtorch's momentum is 1 - ONNX's).
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_BatchNormalization(const OpContext& ctx) {
  const double eps = ctx.attr_float("epsilon", 1e-5f);
  const double momentum = ctx.attr_float("momentum", 0.9f);
  if (ctx.opset() >= 14 && ctx.attr_int("training_mode", 0) != 0)
    ctx.error("training_mode=1 graphs (with running-statistics outputs) are not supported; export in eval mode");
  if (ctx.opset() < 9 && ctx.attr_int("spatial", 1) == 0)
    ctx.error("spatial=0 (per-activation statistics) is not supported");
  return [eps, momentum](const Inputs& in, const RunState& rs) -> Outputs {
    return {at::batch_norm(in[0], in[1], in[2], in[3], in[4], rs.training, 1.0 - momentum, eps,
                           /*cudnn_enabled=*/false)};
  };
}

}  // namespace cnnfi::ops
