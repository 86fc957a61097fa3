// Checks a model's node attributes and constant operands before ONNX shape inference sees them:
// shape inference divides by strides and groups and trusts kernel sizes, so a stride of 0 or a
// negative kernel would crash it (SIGFPE) or make it allocate without bound. Also rejects
// operators cnnfi cannot run before inference looks at them. Errors name the file, the node,
// the attribute and the allowed range.
#pragma once
#include <string>

namespace onnx {
class ModelProto;
}

namespace cnnfi::onnx_io {

void check_attributes(const onnx::ModelProto& model, const std::string& file);

}  // namespace cnnfi::onnx_io
