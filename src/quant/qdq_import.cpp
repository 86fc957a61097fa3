#include "quant/qdq_import.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "onnx/builder.h"
#include "onnx/import.h"
#include "onnx/tensor.h"
#include "ops/op.h"
#include "quant/arith.h"
#include "quant/model.h"
#include "util/error.h"
#include "util/file.h"

namespace cnnfi::quant {

namespace {

bool weighted(const onnx::NodeProto& n) {
  return (n.domain().empty() || n.domain() == "ai.onnx") &&
         (n.op_type() == "Conv" || n.op_type() == "Gemm" || n.op_type() == "MatMul");
}

int64_t node_attr_int(const onnx::NodeProto& n, const std::string& name, int64_t dflt) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return a.i();
  return dflt;
}

/// The graph's tensors known before running (initializers and Constant outputs) and its wiring.
struct Index {
  std::string file;
  std::map<std::string, const onnx::TensorProto*> inits;
  std::map<std::string, int> producer;                  // output name -> node index
  std::map<std::string, std::vector<int>> consumers;    // name -> node indices
  const onnx::GraphProto* g = nullptr;

  explicit Index(const onnx::GraphProto& graph, std::string f) : file(std::move(f)), g(&graph) {
    for (const auto& t : graph.initializer()) inits[t.name()] = &t;
    for (int i = 0; i < graph.node_size(); ++i) {
      for (const auto& o : graph.node(i).output()) producer[o] = i;
      for (const auto& in : graph.node(i).input()) consumers[in].push_back(i);
    }
  }
  const onnx::NodeProto* made_by(const std::string& name, const char* op) const {
    const auto it = producer.find(name);
    if (it == producer.end()) return nullptr;
    const auto& n = g->node(it->second);
    return n.op_type() == op ? &n : nullptr;
  }
  std::optional<at::Tensor> constant(const std::string& name) const {
    if (const auto it = inits.find(name); it != inits.end()) return onnx_io::to_tensor(*it->second, file);
    if (const auto* c = made_by(name, "Constant"))
      for (const auto& a : c->attribute())
        if (a.name() == "value" && a.has_t()) return onnx_io::to_tensor(a.t(), file);
    return std::nullopt;
  }
};

std::string describe(const onnx::NodeProto& n, int index) {
  return fmt::format("node '{}' (op {})", n.name().empty() ? fmt::format("{}_{}", n.op_type(), index) : n.name(), n.op_type());
}

/// A weight quantiser's scales: constants, an int8 zero point of 0 (or an error naming `what`).
at::Tensor symmetric_scale(const Index& ix, const onnx::NodeProto& q, const std::string& where, const char* what) {
  const auto s = q.input_size() > 1 ? ix.constant(q.input(1)) : std::nullopt;
  if (!s) fail("{}: the {} scale of {} '{}' is not a constant", where, what, q.op_type(), q.name());
  const auto z = q.input_size() > 2 && !q.input(2).empty() ? ix.constant(q.input(2)) : std::nullopt;
  if (!z || z->scalar_type() != at::kChar)
    fail("{}: the {} of {} '{}' is {}; cnnfi's w8 module holds symmetric int8 weights (an int8 zero point of 0)", where,
         what, q.op_type(), q.name(), !z ? "uint8 (no zero point given)" : "not int8");
  if (z->ne(0).any().item<bool>())
    fail("{}: the {} zero point of {} '{}' is not 0; cnnfi's integer execution is symmetric (zero points 0)", where, what,
         q.op_type(), q.name());
  const at::Tensor d = s->to(at::kDouble);
  if ((~at::isfinite(d) | (d <= 0)).any().item<bool>())
    fail("{}: the {} scale of {} '{}' holds a value that is not finite and > 0", where, what, q.op_type(), q.name());
  return d.reshape({-1});
}

/// An activation quantiser's scale (one value) and codes: int8 or uint8 (no zero point given:
/// ONNX's default, uint8 at 0), any zero point in range.
std::pair<double, Codes> activation_codes(const Index& ix, const onnx::NodeProto& q, const std::string& where,
                                          const char* what) {
  const auto s = q.input_size() > 1 ? ix.constant(q.input(1)) : std::nullopt;
  if (!s || s->numel() != 1)
    fail("{}: the {} scale of {} '{}' is not one constant; cnnfi's {} has one scale", where, what, q.op_type(), q.name(),
         std::string(what) == "input" ? "i8" : "o8");
  const double scale = s->to(at::kDouble).item<double>();
  if (!(std::isfinite(scale) && scale > 0))
    fail("{}: the {} scale of {} '{}' is {}; it must be finite and > 0", where, what, q.op_type(), q.name(), scale);
  Codes c;
  const auto z = q.input_size() > 2 && !q.input(2).empty() ? ix.constant(q.input(2)) : std::nullopt;
  if (z && z->scalar_type() != at::kChar && z->scalar_type() != at::kByte)
    fail("{}: the {} zero point of {} '{}' is {}; cnnfi's modules are 8-bit (int8 or uint8)", where, what, q.op_type(),
         q.name(), c10::toString(z->scalar_type()));
  if (z && z->numel() != 1)
    fail("{}: the {} zero point of {} '{}' has {} values; one per tensor", where, what, q.op_type(), q.name(), z->numel());
  c.is_unsigned = !z || z->scalar_type() == at::kByte;
  c.zero_point = z ? z->to(at::kDouble).item<double>() : 0.0;
  return {scale, c};
}

bool same(const std::pair<double, Codes>& a, const std::pair<double, Codes>& b) {
  return a.first == b.first && a.second.zero_point == b.second.zero_point && a.second.is_unsigned == b.second.is_unsigned;
}

}  // namespace

namespace {

/// The DequantizeLinear a layer's weight comes from, directly or through one Transpose (PyTorch
/// exports Linear as Transpose + MatMul); `transpose` gets that Transpose, if any.
const onnx::NodeProto* weight_dq(const Index& ix, const onnx::NodeProto& n, const onnx::NodeProto** transpose = nullptr) {
  if (n.input_size() < 2) return nullptr;
  if (const auto* dq = ix.made_by(n.input(1), "DequantizeLinear")) return dq;
  const auto* tr = ix.made_by(n.input(1), "Transpose");
  if (!tr || tr->input_size() != 1) return nullptr;
  if (transpose) *transpose = tr;
  return ix.made_by(tr->input(0), "DequantizeLinear");
}

}  // namespace

bool has_qdq_layers(const onnx::ModelProto& model) {
  const Index ix(model.graph(), "");
  for (const auto& n : model.graph().node())
    if (n.op_type() == "QLinearConv" || n.op_type() == "QLinearMatMul" || (weighted(n) && weight_dq(ix, n))) return true;
  return false;
}

onnx::ModelProto qlinear_to_qdq(const onnx::ModelProto& in, const std::string& file) {
  onnx::ModelProto m = in;
  auto* g = m.mutable_graph();
  std::set<std::string> used;
  for (const auto& t : g->initializer()) used.insert(t.name());
  for (const auto& n : g->node()) {
    used.insert(n.name());
    for (const auto& o : n.output()) used.insert(o);
  }
  const auto fresh = [&](const std::string& base) {
    std::string name = base;
    for (int k = 1; used.count(name); ++k) name = base + "_" + std::to_string(k);
    used.insert(name);
    return name;
  };
  const Index ix(in.graph(), file);
  std::vector<onnx::NodeProto> out;
  for (int i = 0; i < in.graph().node_size(); ++i) {
    const auto& n = in.graph().node(i);
    const bool conv = n.op_type() == "QLinearConv", matmul = n.op_type() == "QLinearMatMul";
    if (!conv && !matmul) {
      out.push_back(n);
      continue;
    }
    if (n.input_size() < 8) fail("{}: {}: has {} inputs; {} takes 8 or 9", file, describe(n, i), n.input_size(), n.op_type());
    const std::string base = n.name().empty() ? fmt::format("{}_{}", n.op_type(), i) : n.name();
    auto dq = [&](const std::string& q, const std::string& s, const std::string& z, int64_t axis, const std::string& what) {
      onnx::NodeProto d;
      d.set_op_type("DequantizeLinear");
      d.set_name(fresh(base + "." + what + ".dq"));
      d.add_input(q);
      d.add_input(s);
      if (!z.empty()) d.add_input(z);
      d.add_output(fresh(base + "." + what));
      if (axis >= 0) {
        auto* a = d.add_attribute();
        a->set_name("axis");
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(axis);
      }
      out.push_back(d);
      return d.output(0);
    };
    const std::string x = dq(n.input(0), n.input(1), n.input(2), -1, "x");
    // Per-channel weight scales lie along the output channels: axis 0 of a Conv weight, the last of a MatMul's.
    const auto ws = ix.constant(n.input(4));
    const int64_t waxis = ws && ws->numel() > 1 ? (conv ? 0 : 1) : -1;
    const std::string w = dq(n.input(3), n.input(4), n.input(5), waxis, "w");
    onnx::NodeProto layer;
    layer.set_op_type(conv ? "Conv" : "MatMul");
    layer.set_name(base);
    layer.add_input(x);
    layer.add_input(w);
    if (conv) {
      for (const auto& a : n.attribute()) *layer.add_attribute() = a;
      if (n.input_size() > 8 && !n.input(8).empty()) {
        // The int32 bias at scale s_x * s_w, as QLinearConv defines it.
        const auto sx = ix.constant(n.input(1));
        if (!sx || !ws || sx->numel() != 1)
          fail("{}: {}: its input scale (one value) or weight scale is not a constant", file, describe(n, i));
        const std::string sb = fresh(base + ".b_scale");
        auto* t = g->add_initializer();
        onnx_io::from_tensor((sx->to(at::kFloat).reshape({}) * ws->to(at::kFloat).reshape({-1})), *t);
        t->set_name(sb);
        layer.add_input(dq(n.input(8), sb, "", ws->numel() > 1 ? 0 : -1, "b"));
      }
    }
    layer.add_output(fresh(base + ".y"));
    out.push_back(layer);
    onnx::NodeProto q;
    q.set_op_type("QuantizeLinear");
    q.set_name(fresh(base + ".y.q"));
    q.add_input(layer.output(0));
    q.add_input(n.input(6));
    q.add_input(n.input(7));
    q.add_output(n.output(0));
    out.push_back(q);
  }
  g->clear_node();
  for (auto& n : out) *g->add_node() = std::move(n);
  return m;
}

onnx::ModelProto adopt_qdq(const onnx::ModelProto& original, const std::string& file, int* adopted) {
  // QLinearConv / QLinearMatMul (QOperator format) first become the equivalent QDQ layers.
  bool qlinear = false;
  for (const auto& n : original.graph().node()) qlinear = qlinear || n.op_type() == "QLinearConv" || n.op_type() == "QLinearMatMul";
  const onnx::ModelProto in = qlinear ? qlinear_to_qdq(original, file) : original;
  onnx::ModelProto m = in;
  auto* g = m.mutable_graph();
  // Names for nameless nodes now, so that the scales, keyed by node name, find their layers.
  for (int i = 0; i < g->node_size(); ++i)
    if (g->node(i).name().empty()) g->mutable_node(i)->set_name(fmt::format("{}_{}", g->node(i).op_type(), i));
  const Index ix(*g, file);
  std::map<std::string, std::string> rename;       // DQ output -> the value that replaces it for all readers
  std::vector<std::pair<std::string, at::Tensor>> new_inits;
  nlohmann::json scales = nlohmann::json::array();
  int count = 0;
  for (int i = 0; i < g->node_size(); ++i) {
    auto* n = g->mutable_node(i);
    if (!weighted(*n) || n->input_size() < 2) continue;
    const onnx::NodeProto* transpose = nullptr;
    const auto* wdq = weight_dq(ix, *n, &transpose);
    if (!wdq) continue;
    const std::string where = fmt::format("{}: {}", file, describe(*n, i));
    // Weight: DequantizeLinear(int8 initializer, s_w, 0) or DequantizeLinear(QuantizeLinear(float initializer)).
    const at::Tensor s_w = symmetric_scale(ix, *wdq, where, "weight");
    const int64_t waxis_attr = node_attr_int(*wdq, "axis", 1);
    at::Tensor w8;
    if (auto c = ix.constant(wdq->input(0))) {
      if (c->scalar_type() != at::kChar) fail("{}: its weight codes are {}, not int8", where, c10::toString(c->scalar_type()));
      w8 = c->to(at::kDouble);
    } else if (const auto* wq = ix.made_by(wdq->input(0), "QuantizeLinear")) {
      const auto wf = ix.constant(wq->input(0));
      if (!wf) fail("{}: its weight is QuantizeLinear of a tensor computed at run time", where);
      const at::Tensor s_q = symmetric_scale(ix, *wq, where, "weight");
      if (!at::equal(s_q, s_w)) fail("{}: its weight's QuantizeLinear and DequantizeLinear scales differ", where);
      std::vector<int64_t> shape(static_cast<size_t>(wf->dim()), 1);
      const int64_t ax = waxis_attr < 0 ? waxis_attr + wf->dim() : waxis_attr;
      if (s_w.numel() > 1) shape[static_cast<size_t>(ax)] = -1;
      // As ONNX QuantizeLinear computes it: round half to even of x / scale, saturated to int8.
      w8 = at::clamp(at::round(wf->to(at::kFloat) / s_w.to(at::kFloat).reshape(s_w.numel() > 1 ? shape : std::vector<int64_t>{})), -128, 127)
               .to(at::kDouble);
    } else {
      fail("{}: its weight is DequantizeLinear of neither an int8 initializer nor QuantizeLinear of one", where);
    }
    int64_t scale_axis = waxis_attr < 0 ? waxis_attr + w8.dim() : waxis_attr;
    if (transpose) {
      std::vector<int64_t> perm;
      for (const auto& a : transpose->attribute())
        if (a.name() == "perm") perm.assign(a.ints().begin(), a.ints().end());
      if (perm.empty())
        for (int64_t d = w8.dim() - 1; d >= 0; --d) perm.push_back(d);
      if (static_cast<int64_t>(perm.size()) != w8.dim()) fail("{}: the Transpose of its weight has a bad perm", where);
      w8 = w8.permute(perm).contiguous();
      scale_axis = std::find(perm.begin(), perm.end(), scale_axis) - perm.begin();
    }
    // The output-channel axis cnnfi's integer layers scale along: Conv 0, Gemm transB 0, else the last.
    const bool last = n->op_type() == "MatMul" || (n->op_type() == "Gemm" && !node_attr_int(*n, "transB", 0));
    const int64_t out_axis = last ? w8.dim() - 1 : 0;
    if (s_w.numel() > 1) {
      const int64_t ax = scale_axis;
      if (ax != out_axis || s_w.numel() != w8.size(out_axis))
        fail("{}: its weight has {} scales along axis {}; cnnfi's integer layers take one scale per tensor or one per "
             "output channel (axis {}, {} channels)",
             where, s_w.numel(), ax, out_axis, w8.size(out_axis));
    }
    std::vector<int64_t> wshape(static_cast<size_t>(w8.dim()), 1);
    if (s_w.numel() > 1) wshape[static_cast<size_t>(out_axis)] = -1;
    new_inits.emplace_back(n->input(1), (w8 * s_w.reshape(s_w.numel() > 1 ? wshape : std::vector<int64_t>{})).to(at::kFloat));
    // Input: DequantizeLinear(QuantizeLinear(x, s), s).
    const auto* xdq = ix.made_by(n->input(0), "DequantizeLinear");
    const auto* xq = xdq ? ix.made_by(xdq->input(0), "QuantizeLinear") : nullptr;
    if (!xq)
      fail("{}: its input is not DequantizeLinear(QuantizeLinear(x)): cnnfi's integer layers quantise their input (i8)",
           where);
    const auto in_q = activation_codes(ix, *xdq, where, "input");
    if (!same(activation_codes(ix, *xq, where, "input"), in_q))
      fail("{}: its input's QuantizeLinear and DequantizeLinear differ in scale or zero point", where);
    const at::Tensor s_in = at::full({1}, in_q.first, at::kDouble);
    n->set_input(0, xq->input(0));
    // Bias: DequantizeLinear(int32, s_in * s_w).
    if (n->input_size() > 2 && !n->input(2).empty()) {
      const auto* bdq = ix.made_by(n->input(2), "DequantizeLinear");
      if (bdq) {
        const auto b32 = ix.constant(bdq->input(0));
        const auto sb = bdq->input_size() > 1 ? ix.constant(bdq->input(1)) : std::nullopt;
        if (!b32 || b32->scalar_type() != at::kInt || !sb)
          fail("{}: its bias is DequantizeLinear of something other than an int32 initializer with a constant scale", where);
        const at::Tensor want = s_in.item<double>() * s_w;
        const at::Tensor got = sb->to(at::kDouble).reshape({-1});
        if (got.numel() != want.numel() && got.numel() != 1)
          fail("{}: its bias has {} scales for {} weight scales", where, got.numel(), want.numel());
        if (((got - want).abs() > 1e-6 * want.abs()).any().item<bool>())
          fail("{}: its bias scale is not s_in * s_w (the int32 bias cnnfi's b32 module holds)", where);
        new_inits.emplace_back(n->input(2), (b32->to(at::kDouble) * got).to(at::kFloat));
      }
    }
    // Output: [Relu ->] QuantizeLinear(s) -> DequantizeLinear(s), each DequantizeLinear's readers
    // reading the layer's (or the Relu's) output instead.
    std::string y = n->output(0);
    auto sole = [&](const std::string& v) -> const onnx::NodeProto* {
      const auto it = ix.consumers.find(v);
      return it != ix.consumers.end() && it->second.size() == 1 ? &g->node(it->second[0]) : nullptr;
    };
    const onnx::NodeProto* next = sole(y);
    if (next && next->op_type() == "Relu") {
      y = next->output(0);
      next = sole(y);
    }
    if (!next || next->op_type() != "QuantizeLinear")
      fail("{}: its output is not quantised (QuantizeLinear, after a Relu at most); cnnfi's integer layers requantise "
           "their output (o8)",
           where);
    const auto out_q = activation_codes(ix, *next, where, "output");
    const at::Tensor s_out = at::full({1}, out_q.first, at::kDouble);
    for (int k : ix.consumers.count(next->output(0)) ? ix.consumers.at(next->output(0)) : std::vector<int>{}) {
      const auto& dq = g->node(k);
      if (dq.op_type() != "DequantizeLinear" || !same(activation_codes(ix, dq, where, "output"), out_q))
        fail("{}: its output's QuantizeLinear is read by {}, not by a DequantizeLinear of the same scale", where,
             describe(dq, k));
      rename[dq.output(0)] = y;
    }
    nlohmann::json entry{{"node", n->name()},
                         {"s_in", s_in.item<double>()},
                         {"s_out", s_out.item<double>()},
                         {"s_w", std::vector<double>(s_w.data_ptr<double>(), s_w.data_ptr<double>() + s_w.numel())}};
    if (!in_q.second.symmetric() || !out_q.second.symmetric()) {
      entry["zp_in"] = in_q.second.zero_point;
      entry["zp_out"] = out_q.second.zero_point;
      entry["in_type"] = in_q.second.is_unsigned ? "uint8" : "int8";
      entry["out_type"] = out_q.second.is_unsigned ? "uint8" : "int8";
    }
    scales.push_back(entry);
    ++count;
  }
  if (count == 0) fail("{}: no Conv, Gemm or MatMul reads its weight through DequantizeLinear: not a QDQ model", file);
  for (int i = 0; i < g->node_size(); ++i)
    for (int k = 0; k < g->node(i).input_size(); ++k)
      if (const auto it = rename.find(g->node(i).input(k)); it != rename.end()) g->mutable_node(i)->set_input(k, it->second);
  // A DequantizeLinear that produces a graph output becomes an Identity of the layer's output,
  // keeping the output's name.
  for (int i = 0; i < g->node_size(); ++i) {
    auto* n = g->mutable_node(i);
    if (n->op_type() != "DequantizeLinear" || n->output_size() != 1) continue;
    const auto it = rename.find(n->output(0));
    if (it == rename.end()) continue;
    bool is_output = false;
    for (const auto& o : g->output()) is_output = is_output || o.name() == n->output(0);
    if (!is_output) continue;
    n->set_op_type("Identity");
    n->clear_attribute();
    n->clear_input();
    n->add_input(it->second);
  }
  // The new float weights and biases replace the DequantizeLinear outputs they stand for.
  std::set<std::string> replaced;
  for (auto& [name, t] : new_inits) {
    replaced.insert(name);
    auto* init = g->add_initializer();
    onnx_io::from_tensor(t, *init);
    init->set_name(name);
  }
  // Drop the nodes that produced them, then every node and initializer nothing reads any more.
  for (int i = g->node_size() - 1; i >= 0; --i) {
    bool produces_replaced = false;
    for (const auto& o : g->node(i).output()) produces_replaced = produces_replaced || replaced.count(o);
    if (produces_replaced) g->mutable_node()->DeleteSubrange(i, 1);
  }
  onnx_io::drop_unread(m, [](const onnx::NodeProto&) { return true; });
  onnx_io::set_metadata(m, kScalesKey, scales.dump());
  if (adopted) *adopted = count;
  return m;
}

std::shared_ptr<graph::Graph> load_for_integer(const std::string& path) {
  auto model = onnx_io::parse_model(read_file(path), path);
  if (!has_qdq_layers(model)) return onnx_io::load_model_proto(model, path);
  return onnx_io::load_model_proto(adopt_qdq(model, path), path);
}

}  // namespace cnnfi::quant
