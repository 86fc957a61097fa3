// ONNX Softmax (see softmax_family.h for the opset differences).
#include "ops/softmax_family.h"

namespace cnnfi::ops {

KernelFn make_Softmax(const OpContext& ctx) { return make_softmax_family(ctx, /*log=*/false); }

}  // namespace cnnfi::ops
