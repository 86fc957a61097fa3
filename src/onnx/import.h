// ONNX import: parse, check (onnx::checker), upgrade old opsets (version converter), infer
// shapes, and plan the graph (graph::plan). Every failure is a cnnfi::Error naming the file
// and, where one is at fault, the node, its op and opset.
#pragma once
#include <memory>
#include <string>

#include "graph/graph.h"

namespace cnnfi::onnx_io {

/// Lowest default-domain opset run as-is; older models are converted to kUpgradeTarget first.
constexpr int kMinNativeOpset = 6;
constexpr int kUpgradeTarget = 13;

/// Loads and plans the model at `path`.
std::shared_ptr<graph::Graph> load_model(const std::string& path);
/// Plans an in-memory model (`name` is used in messages). Takes a copy of `model`.
std::shared_ptr<graph::Graph> load_model_proto(const onnx::ModelProto& model, const std::string& name);
/// Parses a serialized model, with the error messages of load_model.
onnx::ModelProto parse_model(const std::string& bytes, const std::string& name);

}  // namespace cnnfi::onnx_io
