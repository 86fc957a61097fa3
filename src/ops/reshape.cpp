// ONNX Reshape: the shape comes from an input (from opset 5) or the `shape` attribute (opset 1);
// 0 copies the input dimension (unless allowzero=1), -1 is inferred.
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_Reshape(const OpContext& ctx) {
  const bool allowzero = ctx.attr_int("allowzero", 0) != 0;
  const auto attr_shape = ctx.attr_ints("shape", {});
  const bool from_attr = ctx.opset() < 5;
  const std::string where = ctx.node().describe();
  return [=](const Inputs& in, const RunState&) -> Outputs {
    std::vector<int64_t> shape = from_attr ? attr_shape : to_int_vector(in[1]);
    const at::Tensor& x = in[0];
    for (size_t i = 0; i < shape.size(); ++i)
      if (shape[i] == 0 && !allowzero) {
        if (static_cast<int64_t>(i) >= x.dim()) fail("{}: shape[{}] = 0 has no input dimension to copy", where, i);
        shape[i] = x.size(i);
      }
    return {x.reshape(shape)};
  };
}

}  // namespace cnnfi::ops
