#include "onnx/precheck.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include <onnx/onnx_pb.h>

#include "onnx/qonnx.h"
#include "ops/op.h"
#include "util/error.h"
#include "util/strings.h"

namespace cnnfi::onnx_io {

namespace {

/// Integer attributes (single or lists) and the smallest value each element may take, for every
/// operator that has them. Sizes above kMaxExtent would only ever allocate without bound.
struct IntRule {
  const char* name;
  int64_t min;
};
const IntRule kIntRules[] = {
    {"strides", 1}, {"dilations", 1}, {"kernel_shape", 1}, {"group", 1}, {"size", 1},
    {"pads", 0},    {"output_padding", 0}, {"output_shape", 1},
};
constexpr int64_t kMaxExtent = int64_t{1} << 24;
constexpr int kMaxListLength = 64;

std::string where(const std::string& file, const onnx::NodeProto& n, int index, int64_t opset) {
  return fmt::format("{}: node '{}' (op {}, opset {})", file,
                     n.name().empty() ? fmt::format("{}_{}", n.op_type(), index) : n.name(), n.op_type(), opset);
}

}  // namespace

void check_attributes(const onnx::ModelProto& model, const std::string& file) {
  const auto& g = model.graph();
  std::map<std::string, const onnx::TensorProto*> inits;
  for (const auto& t : g.initializer()) inits[t.name()] = &t;
  std::map<std::string, int64_t> opsets;
  for (const auto& o : model.opset_import()) opsets[o.domain() == "ai.onnx" ? "" : o.domain()] = o.version();
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    const int64_t opset = opsets.count(n.domain() == "ai.onnx" ? "" : n.domain()) ? opsets[n.domain() == "ai.onnx" ? "" : n.domain()] : 0;
    const bool default_domain = n.domain().empty() || n.domain() == "ai.onnx";
    if (!ops::find_op_entry(n.op_type(), n.domain()))
      fail("{}: operator '{}' is not supported by cnnfi; supported operators (domain ai.onnx): {}; QONNX quantisers "
           "(domains {}): {}",
           where(file, n, i, opset), default_domain ? n.op_type() : n.domain() + "." + n.op_type(), ops::op_names(""),
           qonnx_domains(), ops::op_names("qonnx"));
    for (const auto& a : n.attribute()) {
      for (const auto& r : kIntRules) {
        if (a.name() != r.name) continue;
        if (a.ints_size() > kMaxListLength)
          fail("{}: attribute '{}' has {} values; at most {} (one per spatial axis, twice for pads)", where(file, n, i, opset),
               a.name(), a.ints_size(), kMaxListLength);
        std::vector<int64_t> values(a.ints().begin(), a.ints().end());
        if (a.type() == onnx::AttributeProto::INT || (values.empty() && a.has_i())) values.push_back(a.i());
        for (int64_t v : values)
          if (v < r.min || v > kMaxExtent)
            fail("{}: attribute '{}' = {}: must be in [{}, {}]", where(file, n, i, opset), a.name(), v, r.min, kMaxExtent);
      }
    }
    // Slice's steps divide extents during shape inference: no zero step.
    if (n.op_type() == "Slice" && n.input_size() > 4 && inits.count(n.input(4))) {
      const auto* t = inits.at(n.input(4));
      for (int64_t v : t->int64_data())
        if (v == 0) fail("{}: input 'steps' holds a 0: Slice steps must not be 0", where(file, n, i, opset));
      const std::string& raw = t->raw_data();
      for (size_t k = 0; k + 8 <= raw.size(); k += 8) {
        int64_t v = 0;
        std::memcpy(&v, raw.data() + k, 8);
        if (v == 0 && t->data_type() == onnx::TensorProto::INT64)
          fail("{}: input 'steps' holds a 0: Slice steps must not be 0", where(file, n, i, opset));
      }
    }
  }
}

void check_references(const onnx::ModelProto& model, const std::string& file) {
  const auto& g = model.graph();
  std::set<std::string> defined;
  auto define = [&](const std::string& name, const std::string& what) {
    if (name.empty()) return;
    if (!defined.insert(name).second) fail("{}: {} '{}' is defined twice", file, what, name);
  };
  for (const auto& t : g.initializer()) define(t.name(), "initializer");
  for (const auto& in : g.input())
    if (!defined.count(in.name())) define(in.name(), "graph input");  // IR < 4 lists initializers as inputs too
  for (const auto& n : g.node())
    for (const auto& o : n.output()) define(o, fmt::format("output of node '{}'", n.name()));
  for (const auto& n : g.node())
    for (const auto& in : n.input())
      if (!in.empty() && !defined.count(in))
        fail("{}: node '{}' (op {}): input '{}' is produced by no node, initializer or graph input", file, n.name(),
             n.op_type(), in);
  for (const auto& out : g.output())
    if (!defined.count(out.name())) fail("{}: graph output '{}' is produced by no node", file, out.name());
}

namespace {

bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : -1;
    if (n < 0 || i + static_cast<size_t>(n) >= s.size()) return false;
    for (int k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + static_cast<size_t>(k)]) >> 6) != 0x2) return false;
    i += static_cast<size_t>(n) + 1;
  }
  return true;
}

/// Names travel into JSON, HTML and CSV: a name that is not UTF-8 is refused here, by position,
/// rather than failing deep inside a writer.
void check_names(const onnx::ModelProto& model, const std::string& file) {
  const auto& g = model.graph();
  const auto bad = [&](const std::string& what) { fail("{}: {} is not valid UTF-8 text", file, what); };
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    if (!valid_utf8(n.name())) bad(fmt::format("the name of node {} ({})", i, n.op_type()));
    for (const auto& s : n.input())
      if (!valid_utf8(s)) bad(fmt::format("an input name of node {} ({})", i, n.op_type()));
    for (const auto& s : n.output())
      if (!valid_utf8(s)) bad(fmt::format("an output name of node {} ({})", i, n.op_type()));
  }
  for (int i = 0; i < g.initializer_size(); ++i)
    if (!valid_utf8(g.initializer(i).name())) bad(fmt::format("the name of initializer {}", i));
  for (int i = 0; i < g.input_size(); ++i)
    if (!valid_utf8(g.input(i).name())) bad(fmt::format("the name of graph input {}", i));
  for (int i = 0; i < g.output_size(); ++i)
    if (!valid_utf8(g.output(i).name())) bad(fmt::format("the name of graph output {}", i));
}

}  // namespace

void precheck(onnx::ModelProto& model, const std::string& file) {
  check_names(model, file);
  check_attributes(model, file);
  check_references(model, file);
  fill_kernel_shapes(model, file);
}

void fill_kernel_shapes(onnx::ModelProto& model, const std::string& file) {
  auto* g = model.mutable_graph();
  std::map<std::string, const onnx::TensorProto*> inits;
  for (const auto& t : g->initializer()) inits[t.name()] = &t;
  std::map<std::string, const onnx::NodeProto*> producer;
  for (const auto& n : g->node())
    for (const auto& o : n.output()) producer[o] = &n;
  for (int i = 0; i < g->node_size(); ++i) {
    auto* n = g->mutable_node(i);
    const int wi = n->op_type() == "QLinearConv" ? 3
                   : n->op_type() == "Conv" || n->op_type() == "ConvTranspose" || n->op_type() == "ConvInteger" ? 1
                                                                                                                : -1;
    if (wi < 0 || n->input_size() <= wi) continue;
    bool has = false;
    for (const auto& a : n->attribute()) has = has || a.name() == "kernel_shape";
    if (has) continue;
    // The weight's initializer, through shape-preserving nodes.
    std::string w = n->input(wi);
    for (int hops = 0; hops < 8 && !inits.count(w) && producer.count(w); ++hops) {
      const auto* p = producer.at(w);
      const std::string& op = p->op_type();
      const bool quantiser = op == "DequantizeLinear" || op == "QuantizeLinear" ||
                             (is_qonnx_domain(p->domain()) && (op == "Quant" || op == "IntQuant" || op == "BipolarQuant" ||
                                                               op == "FloatQuant" || op == "Trunc"));
      if ((op != "Identity" && op != "Cast" && !quantiser) || p->input_size() < 1) break;
      w = p->input(0);
    }
    std::vector<int64_t> dims;
    if (inits.count(w)) {
      dims.assign(inits.at(w)->dims().begin(), inits.at(w)->dims().end());
    } else {
      // A graph input with a fully known shape (the ONNX node tests feed weights so).
      for (const auto& in : g->input())
        if (in.name() == w && in.type().has_tensor_type() && in.type().tensor_type().has_shape()) {
          for (const auto& d : in.type().tensor_type().shape().dim()) dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
          if (std::find(dims.begin(), dims.end(), -1) != dims.end()) dims.clear();
        }
    }
    if (dims.empty())
      fail("{}: node '{}' (op {}): the shape of its weight '{}' is not known before running it (not an initializer, "
           "nor derived from one, nor a graph input of fixed shape) and the node has no kernel_shape attribute",
           file, n->name(), n->op_type(), n->input(wi));
    if (dims.size() < 3)
      fail("{}: node '{}' (op {}): weight '{}' has rank {}; a convolution weight has rank 3 or more", file, n->name(),
           n->op_type(), w, dims.size());
    auto* a = n->add_attribute();
    a->set_name("kernel_shape");
    a->set_type(onnx::AttributeProto::INTS);
    for (size_t d = 2; d < dims.size(); ++d) a->add_ints(dims[d]);
  }
}

}  // namespace cnnfi::onnx_io
