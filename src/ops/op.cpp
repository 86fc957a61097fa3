#include "ops/op.h"

#include <onnx/onnx_pb.h>

#include "onnx/qonnx.h"
#include "onnx/tensor.h"
#include "util/strings.h"

namespace cnnfi::ops {

std::optional<at::Tensor> OpContext::const_input(size_t i) const {
  if (!has_input(i)) return std::nullopt;
  const int v = node_.inputs[i];
  if (graph_.values[v].kind != graph::ValueKind::constant) return std::nullopt;
  return graph_.tensors.at(v);
}

std::optional<std::vector<int64_t>> OpContext::input_shape(size_t i) const {
  if (!has_input(i)) return std::nullopt;
  const auto& v = graph_.values[node_.inputs[i]];
  if (!v.shape_known) return std::nullopt;
  return v.shape;
}

const onnx::AttributeProto* OpContext::find_attr(const std::string& name) const {
  for (const auto& a : node_.proto->attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

bool OpContext::has_attr(const std::string& name) const { return find_attr(name) != nullptr; }

int64_t OpContext::attr_int(const std::string& name, int64_t dflt) const {
  const auto* a = find_attr(name);
  return a ? a->i() : dflt;
}

float OpContext::attr_float(const std::string& name, float dflt) const {
  const auto* a = find_attr(name);
  return a ? a->f() : dflt;
}

std::string OpContext::attr_string(const std::string& name, const std::string& dflt) const {
  const auto* a = find_attr(name);
  return a ? a->s() : dflt;
}

std::vector<int64_t> OpContext::attr_ints(const std::string& name, std::vector<int64_t> dflt) const {
  const auto* a = find_attr(name);
  if (!a) return dflt;
  return {a->ints().begin(), a->ints().end()};
}

std::vector<float> OpContext::attr_floats(const std::string& name, std::vector<float> dflt) const {
  const auto* a = find_attr(name);
  if (!a) return dflt;
  return {a->floats().begin(), a->floats().end()};
}

at::Tensor OpContext::attr_tensor(const std::string& name) const {
  const auto* a = find_attr(name);
  if (!a || !a->has_t()) error("missing tensor attribute '" + name + "'");
  return onnx_io::to_tensor(a->t(), graph_.file);
}

std::string OpContext::where() const { return fmt::format("{}: {}", graph_.file, node_.describe()); }

void OpContext::error(const std::string& message) const {
  fail("{}: {}: {}", graph_.file, node_.describe(), message);
}

std::vector<int64_t> to_int_vector(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kLong).contiguous().reshape({-1});
  const int64_t* p = c.data_ptr<int64_t>();
  return {p, p + c.numel()};
}

int64_t normalize_axis(int64_t axis, int64_t rank, const std::string& where) {
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail("{}: axis {} is out of range for rank {}", where, axis, rank);
  return a;
}

LegacyBroadcast legacy_broadcast(const OpContext& ctx) {
  LegacyBroadcast lb;
  if (ctx.opset() < 7 && ctx.attr_int("broadcast", 0) != 0 && ctx.has_attr("axis")) lb.axis = ctx.attr_int("axis", 0);
  return lb;
}

at::Tensor LegacyBroadcast::align(const at::Tensor& a, const at::Tensor& b) const {
  if (axis < 0) return b;
  std::vector<int64_t> shape = b.sizes().vec();
  while (static_cast<int64_t>(shape.size()) < a.dim() - axis) shape.push_back(1);
  return b.reshape(shape);
}

const std::vector<OpEntry>& op_table() {
  static const std::vector<OpEntry> table = {
#define CNNFI_OP(name, weight, bias) {#name, &make_##name, weight, bias},
#include "ops/op_list.def"
#undef CNNFI_OP
#define CNNFI_QONNX_OP(name) {#name, &make_##name, -1, -1, "qonnx"},
#include "ops/qonnx_op_list.def"
#undef CNNFI_QONNX_OP
  };
  return table;
}

const OpEntry* find_op_entry(const std::string& op_type, const std::string& domain) {
  const std::string want = domain.empty() || domain == "ai.onnx" ? "" : onnx_io::is_qonnx_domain(domain) ? "qonnx" : "?";
  const auto* e = find_op_entry(op_type);
  return e && want == e->domain ? e : nullptr;
}

std::string op_names(const std::string& table_domain) {
  std::vector<std::string> names;
  for (const auto& e : op_table())
    if (table_domain == e.domain) names.emplace_back(e.op_type);
  return join(names, ", ");
}

const OpEntry* find_op_entry(const std::string& op_type) {
  for (const auto& e : op_table())
    if (op_type == e.op_type) return &e;
  return nullptr;
}

Factory find_op(const std::string& op_type) {
  const auto* e = find_op_entry(op_type);
  return e ? e->factory : nullptr;
}

}  // namespace cnnfi::ops
