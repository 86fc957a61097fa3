// cnnfi's k-bit models written in the QONNX dialect (onnx/qonnx.h: to_qonnx).
#include <map>
#include <set>

#include <ATen/ATen.h>
#include <onnx/onnx_pb.h>

#include "onnx/builder.h"
#include "onnx/qonnx.h"
#include "onnx/tensor.h"
#include "ops/op.h"
#include "util/error.h"

namespace cnnfi::onnx_io {

namespace {

constexpr const char* kDomain = "qonnx.custom_op.general";

std::string fresh(const std::set<std::string>& used, const std::string& base) {
  std::string name = base;
  for (int k = 1; used.count(name); ++k) name = base + "_" + std::to_string(k);
  return name;
}

/// -1 or +1 only: 1; -1, 0, +1 only (with a 0): 2; anything else: 0.
int kbit_values(const at::Tensor& t) {
  if (!t.is_floating_point() || t.numel() == 0) return 0;
  const at::Tensor f = t.to(at::kFloat);
  const bool pm1 = ((f == 1) | (f == -1)).all().item<bool>();
  if (pm1) return 1;
  const bool ternary = ((f == 1) | (f == -1) | (f == 0)).all().item<bool>();
  return ternary ? 2 : 0;
}

/// The constant value of `name`: an initializer, or a Cast of one (cnnfi's Clip bounds).
std::optional<double> scalar_of(const std::string& name, const std::map<std::string, const onnx::TensorProto*>& inits,
                                const std::map<std::string, const onnx::NodeProto*>& producer, const std::string& file) {
  std::string n = name;
  if (producer.count(n) && producer.at(n)->op_type() == "Cast" && producer.at(n)->input_size() == 1) n = producer.at(n)->input(0);
  if (!inits.count(n)) return std::nullopt;
  const at::Tensor t = to_tensor(*inits.at(n), file);
  if (t.numel() != 1) return std::nullopt;
  return t.to(at::kDouble).reshape({-1})[0].item<double>();
}

}  // namespace

std::string QonnxExport::describe() const {
  return fmt::format("{} weight tensor(s) as BipolarQuant, {} as 2-bit narrow Quant; {} Sign activation(s) as "
                     "BipolarQuant, {} Round(Clip) activation(s) as 2-bit narrow Quant",
                     bipolar_weights, ternary_weights, sign_activations, round_activations);
}

onnx::ModelProto to_qonnx(const onnx::ModelProto& in, const std::string& file, QonnxExport* what) {
  onnx::ModelProto m = in;
  QonnxExport done;
  auto* g = m.mutable_graph();
  std::set<std::string> used;
  std::map<std::string, const onnx::TensorProto*> inits;
  std::map<std::string, const onnx::NodeProto*> producer;
  for (const auto& t : g->initializer()) used.insert(t.name()), inits[t.name()] = &t;
  for (const auto& n : g->node()) {
    used.insert(n.name());
    for (const auto& o : n.output()) used.insert(o), producer[o] = &n;
  }
  std::map<std::string, int> readers;
  for (const auto& n : g->node())
    for (const auto& i : n.input()) ++readers[i];

  // The quantiser constants, added once.
  std::map<std::string, std::string> consts;
  auto constant = [&](const std::string& key, float v) {
    if (!consts.count(key)) {
      const std::string name = fresh(used, "qonnx." + key);
      used.insert(name);
      from_tensor(at::full({}, v, at::kFloat), *g->add_initializer());
      g->mutable_initializer(g->initializer_size() - 1)->set_name(name);
      consts[key] = name;
    }
    return consts[key];
  };
  auto quant2 = [&](onnx::NodeProto* q) {
    q->set_op_type("Quant");
    q->set_domain(kDomain);
    q->add_input(constant("one", 1));
    q->add_input(constant("zero", 0));
    q->add_input(constant("two_bits", 2));
    for (auto [k, v] : {std::pair<const char*, int>{"signed", 1}, {"narrow", 1}}) {
      auto* a = q->add_attribute();
      a->set_name(k);
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(v);
    }
    auto* r = q->add_attribute();
    r->set_name("rounding_mode");
    r->set_type(onnx::AttributeProto::STRING);
    r->set_s("ROUND");
  };

  std::vector<onnx::NodeProto> out;
  std::set<std::string> drop;  // Clip nodes absorbed into a Quant
  for (int i = 0; i < g->node_size(); ++i) {
    const auto& n = g->node(i);
    if (n.op_type() == "Round" && n.input_size() == 1 && producer.count(n.input(0))) {
      const auto* clip = producer.at(n.input(0));
      if (clip->op_type() == "Clip" && clip->input_size() == 3 && readers[clip->output(0)] == 1 &&
          scalar_of(clip->input(1), inits, producer, file) == -1.0 && scalar_of(clip->input(2), inits, producer, file) == 1.0) {
        drop.insert(clip->name() + "/" + clip->output(0));
        onnx::NodeProto q;
        q.set_name(n.name());
        q.add_input(clip->input(0));
        q.add_output(n.output(0));
        quant2(&q);
        out.push_back(q);
        ++done.round_activations;
        continue;
      }
    }
    if (n.op_type() == "Sign" && n.input_size() == 1) {
      onnx::NodeProto q;
      q.set_name(n.name());
      q.set_op_type("BipolarQuant");
      q.set_domain(kDomain);
      q.add_input(n.input(0));
      q.add_input(constant("one", 1));
      q.add_output(n.output(0));
      out.push_back(q);
      ++done.sign_activations;
      continue;
    }
    onnx::NodeProto copy = n;
    const auto* e = ops::find_op_entry(n.op_type(), n.domain());
    if (e && e->weight_input >= 0 && n.input_size() > e->weight_input && inits.count(n.input(e->weight_input)) &&
        readers[n.input(e->weight_input)] == 1) {
      const std::string w = n.input(e->weight_input);
      const int k = kbit_values(to_tensor(*inits.at(w), file));
      if (k > 0) {
        onnx::NodeProto q;
        q.set_name(fresh(used, w + ".quant"));
        used.insert(q.name());
        q.add_input(w);
        const std::string wq = fresh(used, w + ".q");
        used.insert(wq);
        q.add_output(wq);
        if (k == 1) {
          q.set_op_type("BipolarQuant");
          q.set_domain(kDomain);
          q.add_input(constant("one", 1));
          ++done.bipolar_weights;
        } else {
          quant2(&q);
          ++done.ternary_weights;
        }
        out.push_back(q);
        copy.set_input(e->weight_input, wq);
      }
    }
    out.push_back(copy);
  }
  // Drop the absorbed Clips (and their Cast bounds, when nothing else reads them).
  g->clear_node();
  for (auto& n : out)
    if (!(n.op_type() == "Clip" && drop.count(n.name() + "/" + n.output(0)))) *g->add_node() = std::move(n);
  drop_unread(m, [](const onnx::NodeProto& n) { return n.op_type() == "Cast"; });
  if (done.bipolar_weights + done.ternary_weights + done.sign_activations + done.round_activations == 0)
    fail("{}: nothing to write as QONNX: no weight holds only -1/+1 or -1/0/+1 and no Sign or Round(Clip(x, -1, 1)) "
         "activation (a k-bit model as cnnfi train --arch cnv writes it)",
         file);
  bool imported = false;
  for (const auto& o : m.opset_import()) imported = imported || o.domain() == kDomain;
  if (!imported) {
    auto* o = m.add_opset_import();
    o->set_domain(kDomain);
    o->set_version(1);
  }
  m.set_producer_name("cnnfi");
  if (what) *what = done;
  return m;
}

}  // namespace cnnfi::onnx_io
