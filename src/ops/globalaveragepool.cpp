// ONNX GlobalAveragePool: mean over every spatial axis, kept as size 1.
#include "ops/op.h"

namespace cnnfi::ops {

KernelFn make_GlobalAveragePool(const OpContext&) {
  return [](const Inputs& in, const RunState&) -> Outputs {
    std::vector<int64_t> dims;
    for (int64_t d = 2; d < in[0].dim(); ++d) dims.push_back(d);
    return {in[0].mean(dims, /*keepdim=*/true)};
  };
}

}  // namespace cnnfi::ops
