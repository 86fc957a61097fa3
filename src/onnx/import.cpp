#include "onnx/import.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#include <onnx/version_converter/convert.h>

#include <c10/util/Exception.h>

#include "graph/plan.h"
#include "onnx/precheck.h"
#include "onnx/qonnx.h"
#include "util/error.h"
#include "util/file.h"

namespace cnnfi::onnx_io {

onnx::ModelProto parse_model(const std::string& bytes, const std::string& name) {
  if (bytes.empty()) fail("{}: the file is empty, not an ONNX model", name);
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes))
    fail("{}: not a valid ONNX model: protobuf parsing failed ({} bytes; truncated, or not an ONNX file)",
         name, bytes.size());
  if (!model.has_graph() || model.graph().node_size() == 0)
    fail("{}: not a valid ONNX model: it has no graph or no nodes ({} bytes read)", name, bytes.size());
  return model;
}

namespace {

int default_opset(const onnx::ModelProto& m) {
  for (const auto& o : m.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") return static_cast<int>(o.version());
  return 0;
}

}  // namespace

std::shared_ptr<graph::Graph> load_model_proto(const onnx::ModelProto& in, const std::string& name) {
  auto model = std::make_shared<onnx::ModelProto>(in);
  prepare_qonnx(*model, name);
  try {
    onnx::checker::check_model(*model);
  } catch (const std::exception& e) {
    fail("{}: the ONNX checker rejects the model: {}", name, e.what());
  }
  precheck(*model, name);
  const int opset = default_opset(*model);
  if (opset == 0) fail("{}: the model imports no default-domain (ai.onnx) opset", name);
  if (opset < kMinNativeOpset) {
    try {
      *model = onnx::version_conversion::ConvertVersion(*model, kUpgradeTarget);
    } catch (const std::exception& e) {
      fail("{}: opset {} is older than {} and the ONNX version converter could not upgrade it to {}: {}",
           name, opset, kMinNativeOpset, kUpgradeTarget, e.what());
    }
  }
  try {
    onnx::shape_inference::InferShapes(*model);
  } catch (const std::exception& e) {
    fail("{}: ONNX shape inference failed: {}", name, e.what());
  }
  try {
    return graph::plan(model, name);
  } catch (const c10::Error& e) {
    fail("{}: the model cannot be planned: {}", name, e.what_without_backtrace());
  }
}

std::shared_ptr<graph::Graph> load_model(const std::string& path) {
  return load_model_proto(parse_model(read_file(path), path), path);
}

}  // namespace cnnfi::onnx_io
