#include "exec/executor.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include "util/error.h"

namespace cnnfi::exec {

int64_t GoldenCache::bytes() const {
  int64_t b = 0;
  for (const auto& [v, t] : values) b += t.numel() * t.element_size();
  for (const auto& t : outputs) b += t.numel() * t.element_size();
  return b;
}

void WeightSnapshot::add(const std::string&, const at::Tensor& live) { saved_.emplace_back(live, live.clone()); }

void WeightSnapshot::restore() {
  at::NoGradGuard no_grad;
  for (auto& [live, copy] : saved_) live.copy_(copy);
}

Executor::Executor(std::shared_ptr<const graph::Graph> graph) : graph_(std::move(graph)) {
  const auto& g = *graph_;
  base_slots_.resize(g.values.size());
  for (const auto& [v, t] : g.tensors)
    base_slots_[v] = g.values[v].kind == graph::ValueKind::weight ? t.clone() : t;
  for (int v : g.weights) weight_index_[g.values[v].name] = v;
  kernels_.reserve(g.nodes.size());
  for (const auto& n : g.nodes) kernels_.push_back(ops::find_op(n.op_type)(ops::OpContext(g, n)));
  is_output_.assign(g.values.size(), false);
  for (int v : g.outputs) is_output_[v] = true;
  release_.resize(g.nodes.size());
  for (size_t v = 0; v < g.values.size(); ++v) {
    const auto& val = g.values[v];
    if (val.kind != graph::ValueKind::intermediate && val.kind != graph::ValueKind::input) continue;
    if (is_output_[v] || val.consumers.empty()) continue;
    release_[val.consumers.back()].push_back(static_cast<int>(v));
  }
}

std::vector<std::string> Executor::weight_names() const {
  std::vector<std::string> names;
  for (int v : graph_->weights) names.push_back(graph_->values[v].name);
  return names;
}

at::Tensor Executor::weight(const std::string& name) const {
  const auto it = weight_index_.find(name);
  if (it == weight_index_.end()) {
    std::string list;
    for (const auto& n : weight_names()) list += (list.empty() ? "" : ", ") + n;
    fail("{}: '{}' is not a weight of the model; weights are: {}", graph_->file, name, list);
  }
  return base_slots_[it->second];
}

WeightSnapshot Executor::snapshot(const std::vector<std::string>& names) const {
  WeightSnapshot s;
  for (const auto& n : names) s.add(n, weight(n));
  return s;
}

std::vector<at::Tensor> Executor::trainable() const {
  std::vector<bool> running_stat(graph_->values.size(), false);
  for (const auto& n : graph_->nodes)
    if (n.op_type == "BatchNormalization")
      for (size_t i = 3; i < n.inputs.size(); ++i)
        if (n.inputs[i] >= 0) running_stat[n.inputs[i]] = true;
  std::vector<at::Tensor> out;
  for (int v : graph_->weights)
    if (!running_stat[v]) out.push_back(base_slots_[v]);
  return out;
}

void Executor::set_training(bool on, at::Generator generator) {
  state_.training = on;
  state_.generator = on ? std::move(generator) : at::Generator();
  for (auto& t : trainable()) t.requires_grad_(on);
}

void Executor::check_input(const at::Tensor& t, int value) const {
  const auto& v = graph_->values[value];
  if (!v.shape_known) return;
  bool ok = t.dim() == static_cast<int64_t>(v.shape.size());
  for (int64_t d = 1; ok && d < t.dim(); ++d) ok = v.shape[d] < 0 || v.shape[d] == t.size(d);
  if (!ok) {
    std::string want;
    for (size_t d = 0; d < v.shape.size(); ++d)
      want += (d ? "," : "") + (v.shape[d] < 0 ? std::string("?") : std::to_string(v.shape[d]));
    fail("{}: input '{}' expects shape [{}], got {}", graph_->file, v.name, want, c10::str(t.sizes()));
  }
}

std::vector<at::Tensor> Executor::execute(std::vector<at::Tensor>& slots, int first, NodeHook* hook,
                                          const std::vector<int>* keep) const {
  const auto& g = *graph_;
  std::vector<bool> keep_mask;
  if (keep) {
    keep_mask.assign(g.values.size(), false);
    for (int v : *keep) keep_mask[v] = true;
  }
  ops::Inputs in;
  for (size_t i = static_cast<size_t>(first); i < g.nodes.size(); ++i) {
    const auto& node = g.nodes[i];
    in.clear();
    for (int v : node.inputs) in.push_back(v >= 0 ? slots[v] : at::Tensor());
    ops::Outputs out;
    try {
      out = kernels_[i](in, state_);
    } catch (const cnnfi::Error&) {
      throw;
    } catch (const c10::Error& e) {
      fail("{}: {}: {}", g.file, node.describe(), e.what_without_backtrace());
    } catch (const std::exception& e) {
      fail("{}: {}: {}", g.file, node.describe(), e.what());
    }
    if (hook && hook->wants(static_cast<int>(i))) hook->on_output(static_cast<int>(i), out);
    for (size_t k = 0; k < node.outputs.size(); ++k)
      if (node.outputs[k] >= 0 && k < out.size()) slots[node.outputs[k]] = std::move(out[k]);
    for (int v : release_[i])
      if (!keep || !keep_mask[v]) slots[v] = at::Tensor();
  }
  std::vector<at::Tensor> outputs;
  for (int v : g.outputs) outputs.push_back(slots[v]);
  return outputs;
}

std::vector<at::Tensor> Executor::run(const std::vector<at::Tensor>& inputs, NodeHook* hook) const {
  const auto& g = *graph_;
  if (inputs.size() != g.inputs.size())
    fail("{}: the model takes {} input(s), {} given", g.file, g.inputs.size(), inputs.size());
  std::optional<at::NoGradGuard> no_grad;
  if (!state_.training) no_grad.emplace();
  std::vector<at::Tensor> slots = base_slots_;
  for (size_t i = 0; i < inputs.size(); ++i) {
    check_input(inputs[i], g.inputs[i]);
    slots[g.inputs[i]] = inputs[i];
  }
  return execute(slots, 0, hook, nullptr);
}

at::Tensor Executor::forward(const at::Tensor& input, NodeHook* hook) const { return run({input}, hook).at(0); }

std::vector<int> Executor::live_in(int node) const {
  const auto& g = *graph_;
  if (node < 0 || node >= static_cast<int>(g.nodes.size()))
    fail("{}: node index {} is out of range (the graph has {} nodes)", g.file, node, g.nodes.size());
  std::vector<int> out;
  for (size_t v = 0; v < g.values.size(); ++v) {
    const auto& val = g.values[v];
    const bool runtime = val.kind == graph::ValueKind::input ||
                         (val.kind == graph::ValueKind::intermediate && val.producer < node);
    if (!runtime) continue;
    const bool read_later = !val.consumers.empty() && val.consumers.back() >= node;
    if (read_later || is_output_[v]) out.push_back(static_cast<int>(v));
  }
  return out;
}

GoldenCache Executor::capture(const at::Tensor& input, const std::vector<int>& resume_nodes) const {
  const auto& g = *graph_;
  if (g.inputs.size() != 1) fail("{}: capture() needs a single-input model", g.file);
  GoldenCache cache;
  cache.resume_nodes = resume_nodes;
  std::vector<int> keep;
  for (int n : resume_nodes)
    for (int v : live_in(n)) keep.push_back(v);
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> slots = base_slots_;
  check_input(input, g.inputs[0]);
  slots[g.inputs[0]] = input;
  cache.outputs = execute(slots, 0, nullptr, &keep);
  for (int v : keep) cache.values[v] = slots[v];
  return cache;
}

std::vector<at::Tensor> Executor::run_node(int node, const std::vector<at::Tensor>& inputs) const {
  const auto& n = graph_->nodes.at(static_cast<size_t>(node));
  try {
    return kernels_[node](inputs, state_);
  } catch (const cnnfi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    fail("{}: {}: {}", graph_->file, n.describe(), e.what_without_backtrace());
  }
}

std::vector<at::Tensor> Executor::resume(const GoldenCache& cache, int node, NodeHook* hook,
                                         const std::map<int, at::Tensor>* overrides) const {
  if (std::find(cache.resume_nodes.begin(), cache.resume_nodes.end(), node) == cache.resume_nodes.end())
    fail("{}: node {} was not captured as a resume point", graph_->file, node);
  std::optional<at::NoGradGuard> no_grad;
  if (!state_.training) no_grad.emplace();
  std::vector<at::Tensor> slots = base_slots_;
  for (int v : live_in(node)) slots[v] = cache.values.at(v);
  if (overrides)
    for (const auto& [v, t] : *overrides) slots[v] = t;
  return execute(slots, node, hook, nullptr);
}

}  // namespace cnnfi::exec
