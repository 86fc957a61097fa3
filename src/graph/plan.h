// Planning: from a checked ONNX ModelProto to a graph::Graph (done once per model).
#pragma once
#include <memory>
#include <string>

#include "graph/graph.h"

namespace cnnfi::graph {

/// Builds the IR: resolves every node input (a missing initializer or unknown tensor is an
/// error naming the node), checks every op against the operator table, sorts topologically,
/// records static shapes, and folds constant subgraphs (nodes whose inputs are all plan-time
/// constants; nodes reading a weight are never folded, so weight faults always propagate).
std::shared_ptr<Graph> plan(std::shared_ptr<onnx::ModelProto> model, const std::string& file);

}  // namespace cnnfi::graph
