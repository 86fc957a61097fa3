#include "quant/qdq.h"

#include <map>
#include <set>

#include <ATen/ATen.h>

#include "onnx/tensor.h"
#include "ops/op.h"
#include "util/error.h"

namespace cnnfi::quant {

namespace {

class Namer {
 public:
  explicit Namer(const onnx::GraphProto& g) {
    for (const auto& t : g.initializer()) used_.insert(t.name());
    for (const auto& i : g.input()) used_.insert(i.name());
    for (const auto& n : g.node()) {
      used_.insert(n.name());
      for (const auto& o : n.output()) used_.insert(o);
    }
  }
  std::string operator()(const std::string& base) {
    std::string name = base;
    for (int k = 1; used_.count(name); ++k) name = base + "_" + std::to_string(k);
    used_.insert(name);
    return name;
  }

 private:
  std::set<std::string> used_;
};

onnx::NodeProto node(const std::string& op, const std::string& name, const std::vector<std::string>& in,
                     const std::string& out, int64_t axis = -1) {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name(name);
  for (const auto& i : in) n.add_input(i);
  n.add_output(out);
  if (axis >= 0) {
    auto* a = n.add_attribute();
    a->set_name("axis");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(axis);
  }
  return n;
}

}  // namespace

onnx::ModelProto export_qdq(const QuantizedModel& q, const exec::Executor& exec) {
  if (!q.calibrated()) fail("QDQ export: the integer model is not calibrated");
  const auto& planned = exec.graph();
  int64_t opset = 0;
  for (const auto& o : planned.model->opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = o.version();
  if (opset < 13) fail("{}: QDQ export writes per-channel DequantizeLinear, which needs opset 13; the model has {}", planned.file, opset);
  onnx::ModelProto model = *planned.model;
  onnx::GraphProto* g = model.mutable_graph();
  g->clear_value_info();
  Namer name(*g);
  auto add_init = [&](const std::string& base, const at::Tensor& t) {
    const std::string n = name(base);
    auto* init = g->add_initializer();
    init->set_name(n);
    onnx_io::from_tensor(t, *init);
    return n;
  };
  // Where each quantised layer's node sits in the proto, and what goes before and after it.
  const auto& src = planned.model->graph();
  std::map<int, std::vector<onnx::NodeProto>> before, after;
  std::set<int> removed;
  std::map<int, const QuantLayer*> at_node;
  auto proto_index = [&](const onnx::NodeProto* p) {
    for (int i = 0; i < src.node_size(); ++i)
      if (&src.node(i) == p) return i;
    fail("{}: QDQ export: a planned node is not in the model", planned.file);
  };
  const at::Tensor zero8 = at::zeros({}, at::kChar);
  for (const auto& l : q.layers()) {
    const auto& pn = planned.nodes[static_cast<size_t>(l.node)];
    const int i = proto_index(pn.proto);
    onnx::NodeProto* n = g->mutable_node(i);
    const auto* op = ops::find_op_entry(n->op_type());
    // Input: Q then DQ at s_i.
    const std::string s_in = add_init(l.name + ".s_in", at::tensor(static_cast<float>(l.s_in)));
    const std::string zp = add_init(l.name + ".zp", zero8);
    const std::string xq = name(n->input(0) + "_q"), xdq = name(n->input(0) + "_dq");
    before[i].push_back(node("QuantizeLinear", name(l.name + "_quantize_input"), {n->input(0), s_in, zp}, xq));
    before[i].push_back(node("DequantizeLinear", name(l.name + "_dequantize_input"), {xq, s_in, zp}, xdq));
    n->set_input(0, xdq);
    // Weight: int8 behind DequantizeLinear along its output-channel axis.
    const int64_t waxis = (n->op_type() == "MatMul" || (n->op_type() == "Gemm" && [&] {
                             for (const auto& a : n->attribute())
                               if (a.name() == "transB") return a.i() == 0;
                             return true;
                           }()))
                              ? l.w8.dim() - 1
                              : 0;
    const std::string wq = add_init(l.weight + ".int8", l.w8.to(at::kChar));
    const std::string sw = add_init(l.weight + ".scale", l.s_w.to(at::kFloat).reshape({-1}));
    const std::string zw = add_init(l.weight + ".zp", at::zeros({l.s_w.numel()}, at::kChar));
    const std::string wdq = name(l.weight + "_dq");
    before[i].push_back(node("DequantizeLinear", name(l.name + "_dequantize_weight"), {wq, sw, zw}, wdq,
                             l.s_w.numel() > 1 ? waxis : -1));
    n->set_input(op->weight_input, wdq);
    // Bias: int32 at s_i s_w.
    if (l.b32.defined()) {
      const std::string bq = add_init(l.name + ".bias.int32", l.b32.to(at::kInt));
      const std::string sb = add_init(l.name + ".bias.scale", (l.s_in * l.s_w).to(at::kFloat).reshape({-1}));
      const std::string zb = add_init(l.name + ".bias.zp", at::zeros({l.s_w.numel()}, at::kInt));
      const std::string bdq = name(l.name + "_bias_dq");
      before[i].push_back(node("DequantizeLinear", name(l.name + "_dequantize_bias"), {bq, sb, zb}, bdq,
                               l.s_w.numel() > 1 ? 0 : -1));
      if (op->bias_input < 0) fail("{}: QDQ export: layer '{}' has a bias but its op takes none", planned.file, l.name);
      while (n->input_size() <= op->bias_input) n->add_input("");
      n->set_input(op->bias_input, bdq);
    }
    // Output: Q then DQ at s_o, under the name the consumers read (the folded BatchNorm's output).
    std::string out = n->output(0);
    if (l.folded_bn >= 0) {
      const int b = proto_index(planned.nodes[static_cast<size_t>(l.folded_bn)].proto);
      out = src.node(b).output(0);
      removed.insert(b);
    }
    const std::string raw = name(n->output(0) + "_int");
    n->set_output(0, raw);
    const std::string s_out = add_init(l.name + ".s_out", at::tensor(static_cast<float>(l.s_out)));
    const std::string yq = name(out + "_q");
    after[i].push_back(node("QuantizeLinear", name(l.name + "_quantize_output"), {raw, s_out, zp}, yq));
    after[i].push_back(node("DequantizeLinear", name(l.name + "_dequantize_output"), {yq, s_out, zp}, out));
  }
  // The node list in order, with the inserted nodes around their layers.
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (int i = 0; i < g->node_size(); ++i) {
    if (removed.count(i)) continue;
    for (auto& n : before[i]) *nodes.Add() = n;
    *nodes.Add() = g->node(i);
    for (auto& n : after[i]) *nodes.Add() = n;
  }
  g->mutable_node()->Swap(&nodes);
  // Initializers nothing reads any more (the float weights, folded BatchNorm parameters).
  std::set<std::string> read;
  for (const auto& n : g->node())
    for (const auto& in : n.input()) read.insert(in);
  for (const auto& o : g->output()) read.insert(o.name());
  google::protobuf::RepeatedPtrField<onnx::TensorProto> kept;
  for (const auto& t : g->initializer())
    if (read.count(t.name())) *kept.Add() = t;
  g->mutable_initializer()->Swap(&kept);
  google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> inputs;
  for (const auto& in : g->input())
    if (read.count(in.name())) *inputs.Add() = in;
  g->mutable_input()->Swap(&inputs);
  auto* p = model.add_metadata_props();
  p->set_key("cnnfi.qdq");
  p->set_value("exported by cnnfi " CNNFI_VERSION " from " + planned.file + ": symmetric int8, zero points 0");
  return model;
}

}  // namespace cnnfi::quant
