#include "graph/plan.h"

#include <queue>
#include <set>

#include <ATen/ATen.h>
#include <onnx/onnx_pb.h>

#include "onnx/qonnx.h"
#include "onnx/tensor.h"
#include "ops/op.h"
#include "util/error.h"
#include "util/strings.h"

namespace cnnfi::graph {

namespace {

bool is_float(c10::ScalarType t) {
  return t == at::kFloat || t == at::kDouble || t == at::kHalf || t == at::kBFloat16;
}

void read_shape(const onnx::ValueInfoProto& vi, Value& v) {
  if (!vi.has_type() || !vi.type().has_tensor_type() || !vi.type().tensor_type().has_shape()) return;
  v.shape.clear();
  for (const auto& d : vi.type().tensor_type().shape().dim())
    v.shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
  v.shape_known = true;
}

int add_value(Graph& g, const std::string& name, ValueKind kind) {
  const int idx = static_cast<int>(g.values.size());
  Value v;
  v.name = name;
  v.kind = kind;
  g.values.push_back(v);
  g.by_name[name] = idx;
  return idx;
}

/// Float initializers read only as a QONNX quantiser's parameters (scale, zero point, bit widths,
/// exponent and mantissa widths, bias, max_val): constants of the quantiser, not weight memory.
std::set<std::string> quantiser_parameters(const onnx::GraphProto& gp) {
  std::set<std::string> params, other;
  for (const auto& n : gp.node())
    for (int k = 0; k < n.input_size(); ++k)
      (k > 0 && onnx_io::is_qonnx_domain(n.domain()) ? params : other).insert(n.input(k));
  for (const auto& o : gp.output()) other.insert(o.name());
  for (const auto& name : other) params.erase(name);
  return params;
}

}  // namespace

std::shared_ptr<Graph> plan(std::shared_ptr<onnx::ModelProto> model, const std::string& file) {
  auto g = std::make_shared<Graph>();
  g->file = file;
  g->model = model;
  const onnx::GraphProto& gp = model->graph();

  std::map<std::string, int> opsets;
  for (const auto& o : model->opset_import()) opsets[o.domain() == "ai.onnx" ? "" : o.domain()] = o.version();
  g->opset = opsets.count("") ? opsets[""] : 0;

  // Initializers: float ones are weights (stored parameter memory), others plan-time constants.
  const std::set<std::string> qparams = quantiser_parameters(gp);
  for (const auto& init : gp.initializer()) {
    if (g->by_name.count(init.name())) fail("{}: initializer '{}' is defined twice", file, init.name());
    at::Tensor t = onnx_io::to_tensor(init, file);
    const bool weight = is_float(t.scalar_type()) && !qparams.count(init.name());
    const int v = add_value(*g, init.name(), weight ? ValueKind::weight : ValueKind::constant);
    g->values[v].shape = t.sizes().vec();
    g->values[v].shape_known = true;
    g->tensors[v] = t;
    if (g->values[v].kind == ValueKind::weight) g->weights.push_back(v);
  }
  for (const auto& in : gp.input()) {
    if (g->by_name.count(in.name())) continue;  // IR < 4: initializers are also listed as inputs
    const int v = add_value(*g, in.name(), ValueKind::input);
    read_shape(in, g->values[v]);
    g->inputs.push_back(v);
  }

  // Nodes: create output values first so inputs can refer to nodes listed later.
  const int n_nodes = gp.node_size();
  std::vector<Node> nodes(n_nodes);
  for (int i = 0; i < n_nodes; ++i) {
    const auto& np = gp.node(i);
    Node& n = nodes[i];
    n.proto = &np;
    n.op_type = np.op_type();
    n.domain = np.domain() == "ai.onnx" ? "" : np.domain();
    n.name = np.name().empty() ? fmt::format("{}_{}", np.op_type(), i) : np.name();
    n.opset = opsets.count(n.domain) ? opsets[n.domain] : 0;
    if (!ops::find_op_entry(n.op_type, n.domain))
      fail("{}: {}: operator '{}' is not supported by cnnfi; supported operators (domain ai.onnx): {}; QONNX "
           "quantisers (domains {}): {}",
           file, n.describe(), n.domain.empty() ? n.op_type : n.domain + "." + n.op_type, ops::op_names(""),
           onnx_io::qonnx_domains(), ops::op_names("qonnx"));
    for (const auto& out : np.output()) {
      if (out.empty()) {
        n.outputs.push_back(-1);
        continue;
      }
      if (g->by_name.count(out)) fail("{}: {}: output '{}' is already defined elsewhere", file, n.describe(), out);
      const int v = add_value(*g, out, ValueKind::intermediate);
      g->values[v].producer = i;
      n.outputs.push_back(v);
    }
  }
  for (int i = 0; i < n_nodes; ++i) {
    Node& n = nodes[i];
    for (const auto& in : n.proto->input()) {
      if (in.empty()) {
        n.inputs.push_back(-1);
        continue;
      }
      const auto it = g->by_name.find(in);
      if (it == g->by_name.end())
        fail("{}: {}: input '{}' is not produced by any node, initializer or graph input (missing initializer?)",
             file, n.describe(), in);
      n.inputs.push_back(it->second);
    }
  }
  for (const auto& vi : gp.value_info())
    if (g->by_name.count(vi.name())) read_shape(vi, g->values[g->by_name[vi.name()]]);
  for (const auto& out : gp.output()) {
    const auto it = g->by_name.find(out.name());
    if (it == g->by_name.end()) fail("{}: graph output '{}' is produced by no node", file, out.name());
    read_shape(out, g->values[it->second]);
    g->outputs.push_back(it->second);
  }

  // Topological order (Kahn, stable: ready nodes in file order).
  std::vector<int> pending(n_nodes, 0);
  std::vector<std::vector<int>> users(n_nodes);
  for (int i = 0; i < n_nodes; ++i)
    for (int v : nodes[i].inputs)
      if (v >= 0 && g->values[v].producer >= 0) {
        ++pending[i];
        users[g->values[v].producer].push_back(i);
      }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int i = 0; i < n_nodes; ++i)
    if (pending[i] == 0) ready.push(i);
  std::vector<int> order;
  while (!ready.empty()) {
    const int i = ready.top();
    ready.pop();
    order.push_back(i);
    for (int u : users[i])
      if (--pending[u] == 0) ready.push(u);
  }
  if (static_cast<int>(order.size()) != n_nodes) fail("{}: the graph has a cycle", file);

  // Constant folding, in topological order. Folded nodes leave the graph, and so do the QONNX
  // quantisers of weight initializers (their output becomes the stored weight, graph/storage.cpp).
  std::vector<int> readers(g->values.size(), 0);
  for (const auto& n : nodes)
    for (int v : n.inputs)
      if (v >= 0) ++readers[static_cast<size_t>(v)];
  for (int v : g->outputs) ++readers[static_cast<size_t>(v)];
  std::vector<int> new_index(n_nodes, -1);
  for (int i : order) {
    Node& n = nodes[i];
    if (fold_into_storage(*g, n, readers)) continue;
    bool foldable = true;
    for (int v : n.inputs)
      if (v >= 0 && g->values[v].kind != ValueKind::constant) foldable = false;
    if (n.op_type == "Shape") foldable = foldable && !n.inputs.empty();
    if (foldable) {
      const ops::OpContext ctx(*g, n);
      const ops::KernelFn kernel = ops::find_op(n.op_type)(ctx);
      ops::Inputs in;
      for (int v : n.inputs) in.push_back(v >= 0 ? g->tensors.at(v) : at::Tensor());
      ops::Outputs out;
      try {
        out = kernel(in, ops::RunState{});
      } catch (const cnnfi::Error&) {
        throw;
      } catch (const std::exception& e) {
        fail("{}: {}: failed while folding constants: {}", file, n.describe(), e.what());
      }
      for (size_t k = 0; k < n.outputs.size(); ++k) {
        const int v = n.outputs[k];
        if (v < 0) continue;
        if (k >= out.size()) fail("{}: {}: produced no output #{}", file, n.describe(), k);
        g->values[v].kind = ValueKind::constant;
        g->values[v].producer = -1;
        g->values[v].shape = out[k].sizes().vec();
        g->values[v].shape_known = true;
        g->tensors[v] = out[k];
      }
      continue;
    }
    new_index[i] = static_cast<int>(g->nodes.size());
    g->nodes.push_back(n);
  }
  for (auto& v : g->values)
    if (v.producer >= 0) v.producer = new_index[v.producer];
  for (size_t i = 0; i < g->nodes.size(); ++i)
    for (int v : g->nodes[i].inputs)
      if (v >= 0) g->values[v].consumers.push_back(static_cast<int>(i));
  for (auto& v : g->values) {
    std::sort(v.consumers.begin(), v.consumers.end());
    v.consumers.erase(std::unique(v.consumers.begin(), v.consumers.end()), v.consumers.end());
  }
  return g;
}

}  // namespace cnnfi::graph
