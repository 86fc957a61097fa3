#include "train/kbit.h"

#include <map>
#include <string>

#include <ATen/ATen.h>

#include "onnx/tensor.h"
#include "util/error.h"

namespace cnnfi::train {

int fold_weight_quantizers(onnx::ModelProto& model) {
  auto* g = model.mutable_graph();
  int folded = 0;
  for (bool changed = true; changed;) {
    changed = false;
    std::map<std::string, int> init, consumers, producer;
    for (int i = 0; i < g->initializer_size(); ++i) init[g->initializer(i).name()] = i;
    for (int i = 0; i < g->node_size(); ++i) {
      for (const auto& in : g->node(i).input()) ++consumers[in];
      for (const auto& out : g->node(i).output()) producer[out] = i;
    }
    for (const auto& o : g->output()) ++consumers[o.name()];
    // An input's value: an initialiser, or a Cast of one.
    auto value = [&](const std::string& name, at::Tensor& out) {
      if (auto it = init.find(name); it != init.end()) {
        out = onnx_io::to_tensor(g->initializer(it->second), "export");
        return true;
      }
      auto p = producer.find(name);
      if (p == producer.end()) return false;
      const auto& n = g->node(p->second);
      if (n.op_type() != "Cast" || n.input_size() != 1 || !init.count(n.input(0))) return false;
      int to = 1;
      for (const auto& a : n.attribute())
        if (a.name() == "to") to = static_cast<int>(a.i());
      out = onnx_io::to_tensor(g->initializer(init.at(n.input(0))), "export").to(onnx_io::to_scalar_type(to, "export"));
      return true;
    };
    for (int i = 0; i < g->node_size() && !changed; ++i) {
      const auto& n = g->node(i);
      const std::string& op = n.op_type();
      if ((op != "Sign" && op != "Clip" && op != "Round") || n.input_size() < 1 || n.output_size() != 1) continue;
      const auto w = init.find(n.input(0));
      if (w == init.end() || consumers[n.input(0)] != 1) continue;
      at::Tensor x = onnx_io::to_tensor(g->initializer(w->second), "export");
      if (x.scalar_type() != at::kFloat) continue;
      at::Tensor y;
      if (op == "Sign") {
        y = at::sign(x);
      } else if (op == "Round") {
        y = at::round(x);
      } else {
        at::Tensor lo, hi;
        bool ok = true;
        y = x;
        if (n.input_size() > 1 && !n.input(1).empty()) ok = ok && value(n.input(1), lo);
        if (n.input_size() > 2 && !n.input(2).empty()) ok = ok && value(n.input(2), hi);
        if (!ok) continue;
        if (lo.defined()) y = at::maximum(y, lo.to(at::kFloat));
        if (hi.defined()) y = at::minimum(y, hi.to(at::kFloat));
      }
      // The initialiser takes the folded value; readers of the node's output read it instead.
      const std::string keep = n.input(0), gone = n.output(0);
      onnx_io::from_tensor(y.contiguous(), *g->mutable_initializer(w->second));
      g->mutable_initializer(w->second)->set_name(keep);
      for (auto& m : *g->mutable_node())
        for (auto& in : *m.mutable_input())
          if (in == gone) in = keep;
      for (auto& o : *g->mutable_output())
        if (o.name() == gone) fail("export: the quantiser output '{}' is a graph output", gone);
      g->mutable_node()->DeleteSubrange(i, 1);
      ++folded;
      changed = true;
    }
  }
  // Casts left without readers (the Clip bounds of folded weight quantisers) go too.
  for (bool changed = true; changed;) {
    changed = false;
    std::map<std::string, int> consumers;
    for (const auto& n : g->node())
      for (const auto& in : n.input()) ++consumers[in];
    for (const auto& o : g->output()) ++consumers[o.name()];
    for (int i = 0; i < g->node_size(); ++i)
      if (g->node(i).op_type() == "Cast" && g->node(i).output_size() == 1 && !consumers[g->node(i).output(0)]) {
        g->mutable_node()->DeleteSubrange(i, 1);
        changed = true;
        break;
      }
  }
  // Initialisers nothing reads any more.
  std::map<std::string, int> read;
  for (const auto& n : g->node())
    for (const auto& in : n.input()) ++read[in];
  for (int i = g->initializer_size() - 1; i >= 0; --i)
    if (!read[g->initializer(i).name()]) g->mutable_initializer()->DeleteSubrange(i, 1);
  return folded;
}

}  // namespace cnnfi::train
