#include "campaign/bound.h"

#include <cmath>
#include <limits>

#include "ops/op.h"

namespace cnnfi::campaign {

OutputBound::OutputBound(const exec::Executor& exec) : exec_(exec) {}

at::Tensor OutputBound::constant_of(int v) const {
  const auto& g = exec_.graph();
  if (v < 0) return {};
  const auto& val = g.values[static_cast<size_t>(v)];
  if (val.kind == graph::ValueKind::weight) return exec_.weight(val.name);
  const auto it = g.tensors.find(v);
  return it == g.tensors.end() ? at::Tensor() : it->second;
}

namespace {

/// Largest absolute sum over `sum_dims` for each index of the remaining dimensions.
double max_abs_sum(const at::Tensor& w, std::vector<int64_t> sum_dims) {
  return w.to(at::kDouble).abs().sum(sum_dims).max().item<double>();
}

bool is_one_lipschitz(const std::string& op) {
  static const char* ops[] = {"Relu", "Clip", "MaxPool", "GlobalMaxPool", "Identity", "Flatten", "Reshape",
                              "Dropout", "Transpose", "Squeeze", "Unsqueeze", "Slice", "Pad", "Sigmoid", "Tanh",
                              "AveragePool", "GlobalAveragePool", "ReduceMean", "Softmax", "Concat", "Gather"};
  for (const char* o : ops)
    if (op == o) return true;
  return false;
}

}  // namespace

std::optional<double> OutputBound::lipschitz(int node, const std::vector<double>& in) const {
  const auto& g = exec_.graph();
  const auto& n = g.nodes[static_cast<size_t>(node)];
  const ops::OpContext ctx(g, n);
  const std::string& op = n.op_type;
  double dyn = 0;
  for (double d : in) dyn = std::max(dyn, d);
  auto only_input0 = [&]() {
    for (size_t i = 1; i < in.size(); ++i)
      if (in[i] > 0) return false;
    return true;
  };
  if (is_one_lipschitz(op)) {
    // Data inputs only: a changed index, shape or pad amount is not a bounded change.
    if (op != "Concat" && !only_input0()) return std::nullopt;
    return dyn;
  }
  if (op == "LeakyRelu") return std::max(1.0, static_cast<double>(std::fabs(ctx.attr_float("alpha", 0.01f)))) * in[0];
  if (op == "LogSoftmax") return 2 * in[0];
  if (op == "Add" || op == "Sub") {
    double s = 0;
    for (double d : in) s += d;
    return s;
  }
  if (!only_input0()) return std::nullopt;  // a changed weight or second operand downstream
  if (op == "Conv" || op == "ConvTranspose") {
    const at::Tensor w = constant_of(n.inputs[1]);
    if (!w.defined() || w.dim() < 3) return std::nullopt;
    std::vector<int64_t> dims;
    for (int64_t d = 1; d < w.dim(); ++d) dims.push_back(d);
    if (op == "ConvTranspose") {
      dims.assign(1, 0);
      for (int64_t d = 2; d < w.dim(); ++d) dims.push_back(d);
    }
    return max_abs_sum(w, dims) * in[0];
  }
  if (op == "Gemm") {
    const at::Tensor b = constant_of(n.inputs[1]);
    if (!b.defined() || b.dim() != 2 || ctx.attr_int("transA", 0) != 0) return std::nullopt;
    const double alpha = std::fabs(ctx.attr_float("alpha", 1.0f));
    return alpha * max_abs_sum(b, {ctx.attr_int("transB", 0) ? 1 : 0}) * in[0];
  }
  if (op == "MatMul") {
    const at::Tensor b = constant_of(n.inputs[1]);
    if (!b.defined() || b.dim() != 2) return std::nullopt;
    return max_abs_sum(b, {0}) * in[0];
  }
  if (op == "BatchNormalization") {
    at::Tensor s = constant_of(n.inputs[1]), var = constant_of(n.inputs[4]);
    if (!s.defined() || !var.defined()) return std::nullopt;
    const double eps = ctx.attr_float("epsilon", 1e-5f);
    return (s.to(at::kDouble) / (var.to(at::kDouble) + eps).sqrt()).abs().max().item<double>() * in[0];
  }
  if (op == "Mul" || op == "Div") {
    const at::Tensor c = constant_of(n.inputs[1]);
    if (!c.defined()) return std::nullopt;
    const at::Tensor a = c.to(at::kDouble).abs();
    if (op == "Mul") return a.max().item<double>() * in[0];
    const double lo = a.min().item<double>();
    return lo > 0 ? std::optional<double>(in[0] / lo) : std::nullopt;
  }
  return std::nullopt;
}

std::optional<double> OutputBound::gain(int node) {
  const auto it = gain_.find(node);
  if (it != gain_.end()) return it->second;
  const auto& g = exec_.graph();
  std::vector<double> d(g.values.size(), 0.0);
  const auto& start = g.nodes[static_cast<size_t>(node)];
  if (start.outputs.empty() || start.outputs[0] < 0) return gain_[node] = std::nullopt;
  d[static_cast<size_t>(start.outputs[0])] = 1;
  std::optional<double> result;
  bool ok = true;
  for (size_t m = static_cast<size_t>(node) + 1; m < g.nodes.size() && ok; ++m) {
    const auto& n = g.nodes[m];
    std::vector<double> in;
    bool touched = false;
    for (int v : n.inputs) {
      in.push_back(v >= 0 ? d[static_cast<size_t>(v)] : 0.0);
      touched = touched || in.back() > 0;
    }
    if (!touched) continue;
    const auto l = lipschitz(static_cast<int>(m), in);
    if (!l || !std::isfinite(*l)) {
      ok = false;
      break;
    }
    for (size_t o = 0; o < n.outputs.size(); ++o)
      if (n.outputs[o] >= 0) d[static_cast<size_t>(n.outputs[o])] = o == 0 ? *l : std::numeric_limits<double>::infinity();
  }
  if (ok && !g.outputs.empty()) result = d[static_cast<size_t>(g.outputs[0])];
  if (result && !std::isfinite(*result)) result.reset();
  return gain_[node] = result;
}

std::optional<at::Tensor> OutputBound::image_bound(int node, int slot, double delta, const at::Tensor& x) {
  if (!std::isfinite(delta)) return std::nullopt;
  const auto& g = exec_.graph();
  const auto& n = g.nodes[static_cast<size_t>(node)];
  const auto* entry = ops::find_op_entry(n.op_type);
  if (!entry) return std::nullopt;
  const auto gn = gain(node);
  if (!gn) return std::nullopt;
  const ops::OpContext ctx(g, n);
  const bool gemm = n.op_type == "Gemm";
  if (slot == entry->weight_input) {
    if (!x.defined()) return std::nullopt;
    const double alpha = gemm ? std::fabs(ctx.attr_float("alpha", 1.0f)) : 1.0;
    const at::Tensor ax = x.to(at::kDouble).abs().flatten(1).amax(1);
    return ax * (std::fabs(delta) * alpha * *gn);
  }
  if (slot == entry->bias_input) {
    const double beta = gemm ? std::fabs(ctx.attr_float("beta", 1.0f)) : 1.0;
    return at::full({x.defined() ? x.size(0) : 1}, std::fabs(delta) * beta * *gn, at::kDouble);
  }
  return std::nullopt;
}

at::Tensor OutputBound::proven(const at::Tensor& golden_logits, const at::Tensor& labels, const at::Tensor& bound) {
  const at::Tensor z = golden_logits.to(at::kDouble);
  const int64_t classes = z.size(1);
  const at::Tensor sorted = std::get<0>(z.sort(1, /*descending=*/true));
  // The smallest gap that decides a fact: top-1 against the second; the label's logit against
  // the 6th (label in the top 5) or the 5th (label outside). Each logit moves by at most `bound`.
  at::Tensor gap = sorted.select(1, 0) - sorted.select(1, std::min<int64_t>(1, classes - 1));
  if (classes > 5) {
    const at::Tensor lab = labels.to(at::kLong).clamp(0, classes - 1);
    const at::Tensor zl = z.gather(1, lab.unsqueeze(1)).squeeze(1);
    const at::Tensor fifth = sorted.select(1, 4), sixth = sorted.select(1, 5);
    const at::Tensor in_top5 = zl >= fifth;
    gap = at::minimum(gap, at::where(in_top5, zl - sixth, fifth - zl));
  }
  // Rounding slack: relative to the logits' size, and to the bound itself.
  const at::Tensor slack = 1e-4 * (1 + z.abs().amax(1)) + 1e-3 * bound;
  return (z.isfinite().all(1)) & (bound + slack < gap / 2);
}

}  // namespace cnnfi::campaign
