// ONNX Cast to `to` (numeric and bool types; strings and float8 are not supported).
#include <onnx/onnx_pb.h>

#include "onnx/tensor.h"
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Cast(const OpContext& ctx) {
  const auto to = onnx_io::to_scalar_type(static_cast<int>(ctx.attr_int("to", 0)), ctx.node().describe());
  return [to](const Inputs& in, const RunState&) -> Outputs { return {in[0].to(to)}; };
}

}  // namespace cnnfi::ops
