// Export: the executor's current weights written back into its ONNX model.
#pragma once
#include <string>

#include "exec/executor.h"

namespace onnx {
class ModelProto;
}

namespace cnnfi::onnx_io {

/// The executor's model with every weight initializer replaced by the executor's live tensor
/// (after training, these are the trained values). The result passes onnx::checker.
onnx::ModelProto export_model(const exec::Executor& exec);

}  // namespace cnnfi::onnx_io
