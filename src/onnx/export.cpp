#include "onnx/export.h"

#include <set>

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include "onnx/tensor.h"
#include "util/error.h"

namespace cnnfi::onnx_io {

onnx::ModelProto export_model(const exec::Executor& exec) {
  onnx::ModelProto model = *exec.graph().model;
  model.mutable_graph()->clear_value_info();  // inferred shapes are recomputed on import
  const auto names = exec.weight_names();
  const std::set<std::string> weights(names.begin(), names.end());
  for (auto& init : *model.mutable_graph()->mutable_initializer())
    if (weights.count(init.name())) from_tensor(exec.weight(init.name()), init);
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    fail("{}: exported model fails the ONNX checker: {}", exec.graph().file, e.what());
  }
  return model;
}

}  // namespace cnnfi::onnx_io
