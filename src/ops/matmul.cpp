// ONNX MatMul: numpy matmul semantics (batched, broadcasting, 1-D promotion).
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_MatMul(const OpContext&) {
  return [](const Inputs& in, const RunState&) -> Outputs { return {at::matmul(in[0], in[1])}; };
}

}  // namespace cnnfi::ops
