// ONNX Sub: elementwise with numpy-style broadcasting.
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Sub(const OpContext&) {
  return [](const Inputs& in, const RunState&) -> Outputs { return {at::sub(in[0], in[1])}; };
}

}  // namespace cnnfi::ops
