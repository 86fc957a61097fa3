#include "onnx/check_attributes.h"

#include <cstring>
#include <map>
#include <set>

#include <onnx/onnx_pb.h>

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
    if (!default_domain || !ops::find_op(n.op_type())) {
      std::vector<std::string> names;
      for (const auto& e : ops::op_table()) names.emplace_back(e.op_type);
      fail("{}: operator '{}' is not supported by cnnfi; supported operators (domain ai.onnx): {}", where(file, n, i, opset),
           default_domain ? n.op_type() : n.domain() + "." + n.op_type(), join(names, ", "));
    }
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

}  // namespace cnnfi::onnx_io
