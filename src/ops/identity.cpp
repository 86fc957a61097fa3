// ONNX Identity.
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Identity(const OpContext&) {
  return [](const Inputs& in, const RunState&) -> Outputs { return {in[0]}; };
}

}  // namespace cnnfi::ops
