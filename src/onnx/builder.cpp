#include "onnx/builder.h"

#include <fstream>
#include <set>

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include "onnx/tensor.h"
#include "util/error.h"

namespace cnnfi::onnx_io {

namespace {

void set_dims(onnx::ValueInfoProto* vi, const std::vector<int64_t>& dims) {
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = tt->mutable_shape();
  for (auto d : dims) {
    auto* dim = shape->add_dim();
    if (d < 0) dim->set_dim_param("batch");
    else dim->set_dim_value(d);
  }
}

}  // namespace

ModelBuilder::ModelBuilder(const std::string& graph_name, int opset) : model_(std::make_unique<onnx::ModelProto>()) {
  model_->set_ir_version(7);
  model_->set_producer_name("cnnfi");
  model_->set_producer_version(CNNFI_VERSION);
  auto* op = model_->add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  model_->mutable_graph()->set_name(graph_name);
}

ModelBuilder::~ModelBuilder() = default;

void ModelBuilder::input(const std::string& name, const std::vector<int64_t>& dims) {
  auto* vi = model_->mutable_graph()->add_input();
  vi->set_name(name);
  set_dims(vi, dims);
}

void ModelBuilder::output(const std::string& name, const std::vector<int64_t>& dims) {
  auto* vi = model_->mutable_graph()->add_output();
  vi->set_name(name);
  set_dims(vi, dims);
}

std::string ModelBuilder::initializer(const std::string& name, const at::Tensor& value) {
  auto* t = model_->mutable_graph()->add_initializer();
  t->set_name(name);
  from_tensor(value, *t);
  return name;
}

std::string ModelBuilder::node(const std::string& op, const std::string& name, const std::vector<std::string>& inputs,
                               const std::vector<Attr>& attrs, std::string out, const std::string& domain) {
  auto* n = model_->mutable_graph()->add_node();
  n->set_op_type(op);
  if (!domain.empty()) n->set_domain(domain);
  n->set_name(name);
  for (const auto& i : inputs) n->add_input(i);
  if (out.empty()) out = name + "_out";
  n->add_output(out);
  for (const auto& a : attrs) {
    auto* p = n->add_attribute();
    p->set_name(a.name);
    switch (a.kind) {
      case Attr::Kind::i: p->set_type(onnx::AttributeProto::INT); p->set_i(a.i); break;
      case Attr::Kind::f: p->set_type(onnx::AttributeProto::FLOAT); p->set_f(a.f); break;
      case Attr::Kind::s: p->set_type(onnx::AttributeProto::STRING); p->set_s(a.s); break;
      case Attr::Kind::ints:
        p->set_type(onnx::AttributeProto::INTS);
        for (auto v : a.ints) p->add_ints(v);
        break;
      case Attr::Kind::floats:
        p->set_type(onnx::AttributeProto::FLOATS);
        for (auto v : a.floats) p->add_floats(v);
        break;
    }
  }
  return out;
}

onnx::ModelProto ModelBuilder::finish(bool check) {
  if (!check) return *model_;
  try {
    onnx::checker::check_model(*model_);
  } catch (const std::exception& e) {
    fail("built model '{}' fails the ONNX checker: {}", model_->graph().name(), e.what());
  }
  return *model_;
}

int drop_unread(onnx::ModelProto& model, const std::function<bool(const onnx::NodeProto&)>& may_drop) {
  auto* g = model.mutable_graph();
  int dropped = 0;
  for (bool changed = true; changed;) {
    changed = false;
    std::set<std::string> reads;
    for (const auto& n : g->node())
      for (const auto& v : n.input()) reads.insert(v);
    for (const auto& o : g->output()) reads.insert(o.name());
    for (int i = g->node_size() - 1; i >= 0; --i) {
      const auto& n = g->node(i);
      bool used = false;
      for (const auto& o : n.output()) used = used || reads.count(o);
      if (!used && may_drop(n)) {
        g->mutable_node()->DeleteSubrange(i, 1);
        ++dropped;
        changed = true;
      }
    }
    if (changed) continue;
    for (int i = g->initializer_size() - 1; i >= 0; --i)
      if (!reads.count(g->initializer(i).name())) g->mutable_initializer()->DeleteSubrange(i, 1);
  }
  return dropped;
}

void save_model(const onnx::ModelProto& model, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out || !model.SerializeToOstream(&out)) fail("{}: cannot write the model", path);
}

void set_metadata(onnx::ModelProto& model, const std::string& key, const std::string& value) {
  for (auto& p : *model.mutable_metadata_props())
    if (p.key() == key) {
      p.set_value(value);
      return;
    }
  auto* p = model.add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

}  // namespace cnnfi::onnx_io
