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

std::string IntegerStorage::describe() const {
  if (bipolar) return "bipolar";
  if (minifloat)
    return fmt::format("e{}m{}-b{}{}{}", exponent_bits, mantissa_bits, exponent_bias, has_inf ? "-inf" : "",
                       has_nan ? "-nan" : "");
  return fmt::format("{}int{}{}", is_signed ? "" : "u", bits, narrow ? "-narrow" : "");
}

std::string storage_format(const Graph& g) {
  if (g.storage.empty()) return "";
  std::map<std::string, std::vector<std::string>> kinds;
  for (const auto& [v, st] : g.storage) kinds[st.describe()].push_back(g.values[static_cast<size_t>(v)].name);
  if (kinds.size() == 1) return "model:" + kinds.begin()->first;
  std::string list;
  for (const auto& [k, names] : kinds)
    list += fmt::format("{}{} ({}{})", list.empty() ? "" : "; ", k, names.front(),
                        names.size() > 1 ? fmt::format(" and {} more", names.size() - 1) : "");
  fail("{}: its weights are stored in {} different integer formats: {}; a campaign injects into one of them: name it "
       "with key 'format' or flag --format (e.g. model:{}), and the weights stored so are the ones faulted",
       g.file, kinds.size(), list, kinds.begin()->first);
}

}  // namespace cnnfi::graph
