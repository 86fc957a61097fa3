#include "campaign/bound.h"

#include <algorithm>
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
  return gain_[node] = propagate(node, false);
}

std::optional<double> OutputBound::gain2(int node) {
  if (shapes_.empty()) return std::nullopt;
  const auto it = gain2_.find(node);
  if (it != gain2_.end()) return it->second;
  return gain2_[node] = propagate(node, true);
}

std::optional<double> OutputBound::propagate(int node, bool two_norm) {
  const auto& g = exec_.graph();
  std::vector<double> d(g.values.size(), 0.0);
  const auto& start = g.nodes[static_cast<size_t>(node)];
  if (start.outputs.empty() || start.outputs[0] < 0) return std::nullopt;
  d[static_cast<size_t>(start.outputs[0])] = 1;
  for (size_t m = static_cast<size_t>(node) + 1; m < g.nodes.size(); ++m) {
    const auto& n = g.nodes[m];
    std::vector<double> in;
    bool touched = false;
    for (int v : n.inputs) {
      in.push_back(v >= 0 ? d[static_cast<size_t>(v)] : 0.0);
      touched = touched || in.back() > 0;
    }
    if (!touched) continue;
    const auto l = two_norm ? lipschitz2(static_cast<int>(m), in, node) : lipschitz(static_cast<int>(m), in);
    if (!l || !std::isfinite(*l)) return std::nullopt;
    for (size_t o = 0; o < n.outputs.size(); ++o)
      if (n.outputs[o] >= 0) d[static_cast<size_t>(n.outputs[o])] = o == 0 ? *l : std::numeric_limits<double>::infinity();
  }
  if (g.outputs.empty()) return std::nullopt;
  const double r = d[static_cast<size_t>(g.outputs[0])];
  return std::isfinite(r) ? std::optional<double>(r) : std::nullopt;
}

int OutputBound::folded_bn(int node) const {
  const auto& g = exec_.graph();
  const auto& n = g.nodes[static_cast<size_t>(node)];
  if (n.op_type != "Conv" || n.outputs.size() != 1 || n.outputs[0] < 0) return -1;
  const int v = n.outputs[0];
  if (std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end()) return -1;
  const auto& cons = g.values[static_cast<size_t>(v)].consumers;
  if (cons.size() != 1) return -1;
  const auto& bn = g.nodes[static_cast<size_t>(cons[0])];
  if (bn.op_type != "BatchNormalization" || bn.inputs.empty() || bn.inputs[0] != v || bn.inputs.size() < 5) return -1;
  return cons[0];
}

std::optional<double> OutputBound::conv_sigma(int node, bool fold_bn) {
  const auto key = std::make_pair(node, fold_bn);
  const auto it = sigma_.find(key);
  if (it != sigma_.end()) return it->second;
  auto& out = sigma_[key];
  const auto& g = exec_.graph();
  const auto& n = g.nodes[static_cast<size_t>(node)];
  const ops::OpContext ctx(g, n);
  const at::Tensor w0 = n.inputs.size() > 1 ? constant_of(n.inputs[1]) : at::Tensor();
  if (!w0.defined() || w0.dim() != 4 || ctx.attr_int("group", 1) != 1) return out;
  for (int64_t dl : ctx.attr_ints("dilations", {1, 1}))
    if (dl != 1) return out;
  const auto shape = shapes_.find(n.inputs[0]);
  if (shape == shapes_.end() || shape->second.size() != 4) return out;
  const int64_t kh = w0.size(2), kw = w0.size(3);
  auto strides = ctx.attr_ints("strides", {1, 1});
  if (strides.size() != 2 || strides[0] < 1 || strides[1] < 1) return out;
  const int64_t sh = strides[0], sw = strides[1];
  int64_t pads = 0;
  for (int64_t p : ctx.attr_ints("pads", {0, 0, 0, 0})) pads += std::max<int64_t>(0, p);
  // A grid so large that no wrap-around of the circular convolution reaches the input, a
  // multiple of the strides.
  const int64_t nh = (shape->second[2] + kh + pads + sh - 1) / sh, nw = (shape->second[3] + kw + pads + sw - 1) / sw;
  at::Tensor w = w0.to(at::kDouble);
  if (fold_bn) {
    const int b = folded_bn(node);
    if (b < 0) return out;
    const auto& bn = g.nodes[static_cast<size_t>(b)];
    const at::Tensor gamma = constant_of(bn.inputs[1]), var = constant_of(bn.inputs[4]);
    if (!gamma.defined() || !var.defined() || gamma.numel() != w.size(0) || var.numel() != w.size(0)) return out;
    const double eps = ops::OpContext(g, bn).attr_float("epsilon", 1e-5f);
    w = w * (gamma.to(at::kDouble) / (var.to(at::kDouble) + eps).sqrt()).view({-1, 1, 1, 1});
  }
  if (!w.isfinite().all().item<bool>()) return out;
  // Strided: the output rows s*m of the circular convolution read input phase a of the grid
  // through kernel taps s*i + a, so the operator is a stride-1 circular convolution on the
  // (N / s)-grid from the s_h * s_w phases of every input channel (polyphase form).
  const int64_t ph = (kh + sh - 1) / sh, pw = (kw + sw - 1) / sw;
  const int64_t co = w.size(0), ci = w.size(1);
  w = at::constant_pad_nd(w, {0, pw * sw - kw, 0, ph * sh - kh})
          .reshape({co, ci, ph, sh, pw, sw})
          .permute({0, 1, 3, 5, 2, 4})
          .reshape({co, ci * sh * sw, ph, pw});
  const at::Tensor padded = at::constant_pad_nd(w, {0, nw - pw, 0, nh - ph});
  const at::Tensor f = at::fft_fft2(padded).permute({2, 3, 0, 1}).reshape({nh * nw, co, ci * sh * sw});
  const double sigma = at::linalg_svdvals(f).max().item<double>();
  if (std::isfinite(sigma)) out = sigma * (1 + 1e-6);
  return out;
}

std::optional<double> OutputBound::lipschitz2(int node, const std::vector<double>& in, int start) {
  const auto& g = exec_.graph();
  const auto& n = g.nodes[static_cast<size_t>(node)];
  const ops::OpContext ctx(g, n);
  const std::string& op = n.op_type;
  auto only_input0 = [&]() {
    for (size_t i = 1; i < in.size(); ++i)
      if (in[i] > 0) return false;
    return true;
  };
  static const char* elementwise[] = {"Relu",      "Clip",    "Identity", "Flatten", "Reshape", "Dropout", "Transpose",
                                      "Squeeze",   "Unsqueeze", "Sigmoid", "Tanh",  "Slice",   "Pad",     "Softmax",
                                      "GlobalMaxPool"};
  // Pad repeats elements unless it pads with a constant.
  if (op == "Pad" && ctx.attr_string("mode", "constant") != "constant") return std::nullopt;
  for (const char* o : elementwise)
    if (op == o) return only_input0() ? std::optional<double>(in[0]) : std::nullopt;
  if (op == "LeakyRelu")
    return only_input0() ? std::optional<double>(std::max(1.0, static_cast<double>(std::fabs(ctx.attr_float("alpha", 0.01f)))) * in[0])
                         : std::nullopt;
  if (op == "Add" || op == "Sub" || op == "Concat") {
    double s = 0;
    for (double d : in) s += d;
    return s;
  }
  if (!only_input0()) return std::nullopt;
  if (op == "MaxPool" || op == "AveragePool") {
    const auto k = ctx.attr_ints("kernel_shape");
    auto st = ctx.attr_ints("strides");
    if (k.empty()) return std::nullopt;
    st.resize(k.size(), 1);
    for (int64_t dl : ctx.attr_ints("dilations"))
      if (dl != 1) return std::nullopt;
    double m = 1, size = 1;
    for (size_t i = 0; i < k.size(); ++i) {
      if (st[i] < 1 || k[i] < 1) return std::nullopt;
      m *= static_cast<double>((k[i] + st[i] - 1) / st[i]);
      size *= static_cast<double>(k[i]);
    }
    if (op == "MaxPool") return std::sqrt(m) * in[0];
    bool padded = false;
    for (int64_t p : ctx.attr_ints("pads")) padded = padded || p > 0;
    if (padded && ctx.attr_int("count_include_pad", 0) == 0) size = 1;  // a border window may average one element
    return std::sqrt(m / size) * in[0];
  }
  if (op == "GlobalAveragePool") {
    const auto shape = shapes_.find(n.inputs[0]);
    if (shape == shapes_.end() || shape->second.size() < 3) return std::nullopt;
    double positions = 1;
    for (size_t i = 2; i < shape->second.size(); ++i) positions *= static_cast<double>(shape->second[i]);
    return positions > 0 ? std::optional<double>(in[0] / std::sqrt(positions)) : std::nullopt;
  }
  if (op == "Conv") {
    const auto s = conv_sigma(node, folded_bn(node) >= 0);
    return s ? std::optional<double>(*s * in[0]) : std::nullopt;
  }
  if (op == "BatchNormalization") {
    const int p = g.values[static_cast<size_t>(n.inputs[0])].producer;
    if (p >= 0 && p != start && folded_bn(p) == node && conv_sigma(p, true)) return in[0];  // in the Conv's gain
    return lipschitz(node, in);
  }
  if (op == "Gemm" || op == "MatMul") {
    const at::Tensor b = constant_of(n.inputs[1]);
    if (!b.defined() || b.dim() != 2 || (op == "Gemm" && ctx.attr_int("transA", 0) != 0)) return std::nullopt;
    const double alpha = op == "Gemm" ? std::fabs(ctx.attr_float("alpha", 1.0f)) : 1.0;
    const double sigma = at::linalg_svdvals(b.to(at::kDouble)).max().item<double>() * (1 + 1e-6);
    return std::isfinite(sigma) ? std::optional<double>(alpha * sigma * in[0]) : std::nullopt;
  }
  if (op == "Mul" || op == "Div") return lipschitz(node, in);  // a constant factor per element
  return std::nullopt;
}

void OutputBound::record_shapes(const at::Tensor& input) {
  struct Shapes : exec::NodeHook {
    const graph::Graph& g;
    std::map<int, std::vector<int64_t>>& out;
    Shapes(const graph::Graph& graph, std::map<int, std::vector<int64_t>>& o) : g(graph), out(o) {}
    bool wants(int) const override { return true; }
    void on_output(int node, std::vector<at::Tensor>& outputs) override {
      const auto& n = g.nodes[static_cast<size_t>(node)];
      for (size_t i = 0; i < outputs.size() && i < n.outputs.size(); ++i)
        if (n.outputs[i] >= 0 && outputs[i].defined()) out[n.outputs[i]] = outputs[i].sizes().vec();
    }
  } hook(exec_.graph(), shapes_);
  const at::Tensor one = input.narrow(0, 0, 1);
  for (int v : exec_.graph().inputs) shapes_[v] = one.sizes().vec();
  exec_.forward(one, &hook);
  gain2_.clear();
  sigma_.clear();
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

std::optional<at::Tensor> OutputBound::image_bound(int node, int slot, int64_t flat_index, double delta,
                                                   const at::Tensor& x) {
  const auto inf = image_bound(node, slot, delta, x);
  if (!std::isfinite(delta) || shapes_.empty()) return inf;
  const auto g2 = gain2(node);
  if (!g2) return inf;
  const auto& g = exec_.graph();
  const auto& n = g.nodes[static_cast<size_t>(node)];
  const auto* entry = ops::find_op_entry(n.op_type);
  if (!entry) return inf;
  const ops::OpContext ctx(g, n);
  const double d = std::fabs(delta);
  std::optional<at::Tensor> two;  // per image, a bound on the 2-norm of the logits' change
  const at::Tensor w = constant_of(n.inputs[static_cast<size_t>(entry->weight_input)]);
  if (n.op_type == "Conv" && w.defined() && w.dim() == 4 && ctx.attr_int("group", 1) == 1) {
    if (slot == entry->weight_input && x.defined() && x.dim() == 4 && x.size(1) == w.size(1)) {
      const int64_t ci = (flat_index / (w.size(2) * w.size(3))) % w.size(1);
      two = x.select(1, ci).to(at::kDouble).flatten(1).norm(2, {1}) * (d * *g2);
    } else if (slot == entry->bias_input) {
      const auto shape = shapes_.find(n.outputs[0]);
      if (shape != shapes_.end() && shape->second.size() == 4) {
        const double positions = static_cast<double>(shape->second[2] * shape->second[3]);
        two = at::full({x.defined() ? x.size(0) : 1}, d * std::sqrt(positions) * *g2, at::kDouble);
      }
    }
  } else if ((n.op_type == "Gemm" || n.op_type == "MatMul") && w.defined() && w.dim() == 2) {
    const bool gemm = n.op_type == "Gemm";
    if (slot == entry->weight_input && x.defined() && x.dim() >= 2 && !(gemm && ctx.attr_int("transA", 0) != 0)) {
      const int64_t i = flat_index / w.size(1), j = flat_index % w.size(1);
      const int64_t k = gemm && ctx.attr_int("transB", 0) ? j : i;
      if (k < x.size(-1)) {
        const double alpha = gemm ? std::fabs(ctx.attr_float("alpha", 1.0f)) : 1.0;
        const at::Tensor col = x.select(-1, k).to(at::kDouble);
        two = (x.dim() == 2 ? col.abs() : col.flatten(1).norm(2, {1})) * (alpha * d * *g2);
      }
    } else if (gemm && slot == entry->bias_input) {
      two = at::full({x.defined() ? x.size(0) : 1}, std::fabs(ctx.attr_float("beta", 1.0f)) * d * *g2, at::kDouble);
    }
  }
  if (!two || !two->isfinite().all().item<bool>()) return inf;
  const at::Tensor pair = *two / std::sqrt(2.0);
  if (!inf || inf->sizes() != pair.sizes()) return pair;
  return at::minimum(*inf, pair);
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
