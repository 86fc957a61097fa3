#include "graph/graph.h"

#include <fmt/format.h>

#include "util/error.h"

namespace cnnfi::graph {

std::string Node::describe() const {
  return fmt::format("node '{}' (op {}{}{}, opset {})", name, domain.empty() ? "" : domain,
                     domain.empty() ? "" : ".", op_type, opset);
}

int Graph::value(const std::string& name) const {
  const auto it = by_name.find(name);
  if (it == by_name.end()) fail("{}: no tensor named '{}' in the model", file, name);
  return it->second;
}

int Graph::node_index(const std::string& name) const {
  for (size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].name == name) return static_cast<int>(i);
  const auto it = by_name.find(name);
  if (it != by_name.end() && values[it->second].producer >= 0) return values[it->second].producer;
  std::string names;
  for (size_t i = 0; i < nodes.size() && i < 40; ++i) names += (i ? ", " : "") + nodes[i].name;
  if (nodes.size() > 40) names += ", ...";
  fail("{}: no node named '{}'; nodes are: {}", file, name, names);
}

}  // namespace cnnfi::graph
