// ONNX Add: elementwise with numpy-style broadcasting.
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Add(const OpContext&) {
  return [](const Inputs& in, const RunState&) -> Outputs { return {at::add(in[0], in[1])}; };
}

}  // namespace cnnfi::ops
