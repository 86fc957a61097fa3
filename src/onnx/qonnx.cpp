#include "onnx/qonnx.h"

#include <map>
#include <mutex>
#include <set>

#include <onnx/defs/schema.h>
#include <onnx/defs/shape_inference.h>
#include <onnx/onnx_pb.h>

#include "ops/op.h"
#include "util/error.h"

namespace cnnfi::onnx_io {

namespace {

constexpr const char* kDomains[] = {"onnx.brevitas", "qonnx.custom_op.general", "finn.custom_op.general"};

struct Signature {
  const char* op;
  int min_inputs, max_inputs;
  const char* inputs;  ///< for messages
};
constexpr Signature kSignatures[] = {
    {"Quant", 4, 4, "X, scale, zeropt, bitwidth"},
    {"IntQuant", 4, 4, "X, scale, zeropt, bitwidth"},
    {"BipolarQuant", 2, 2, "X, scale"},
    {"Trunc", 5, 7, "X, scale, zeropt, in_bitwidth, [out_scale, [out_zeropt,]] out_bitwidth"},
    {"FloatQuant", 5, 6, "X, scale, exponent_bitwidth, mantissa_bitwidth, exponent_bias, [max_val]"},
};

const Signature* signature(const std::string& op) {
  for (const auto& s : kSignatures)
    if (op == s.op) return &s;
  return nullptr;
}

onnx::OpSchema schema(const Signature& sig, const std::string& domain) {
  onnx::OpSchema s;
  s.SetName(sig.op).SetDomain(domain).SinceVersion(1);
  s.SetDoc(std::string("QONNX ") + sig.op + " (cnnfi: ops/qonnx_op_list.def)");
  s.Input(0, "X", "input", "T");
  for (int i = 1; i < sig.max_inputs; ++i)
    s.Input(i, "p" + std::to_string(i), "quantiser parameter", "P",
            i < sig.min_inputs ? onnx::OpSchema::Single : onnx::OpSchema::Optional);
  s.Output(0, "Y", "output", "T");
  s.TypeConstraint("T", {"tensor(float)", "tensor(float16)", "tensor(double)"}, "float input and output");
  s.TypeConstraint("P", {"tensor(float)", "tensor(float16)", "tensor(double)", "tensor(int32)", "tensor(int64)"},
                   "scales, zero points, bit widths");
  // Attributes are checked by cnnfi's kernels (names the node and value); others pass, as QONNX's
  // own executor lets them.
  s.AllowUncheckedAttributes();
  s.TypeAndShapeInferenceFunction(onnx::propagateShapeAndTypeFromFirstInput);
  return s;
}

}  // namespace

bool is_qonnx_domain(const std::string& domain) {
  for (const char* d : kDomains)
    if (domain == d) return true;
  return false;
}

std::string qonnx_domains() { return "onnx.brevitas, qonnx.custom_op.general, finn.custom_op.general"; }

void register_qonnx_schemas() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (const char* d : kDomains) {
      auto& range = onnx::OpSchemaRegistry::DomainToVersionRange::Instance();
      if (!range.Map().count(d)) range.AddDomainToVersion(d, 1, 2);
      for (const auto& sig : kSignatures) onnx::RegisterSchema(schema(sig, d));
    }
  });
}

void prepare_qonnx(onnx::ModelProto& model, const std::string& file) {
  std::set<std::string> used;
  const auto& g = model.graph();
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    if (!is_qonnx_domain(n.domain())) continue;
    const std::string name = n.name().empty() ? fmt::format("{}_{}", n.op_type(), i) : n.name();
    const Signature* sig = signature(n.op_type());
    if (!sig || !ops::find_op_entry(n.op_type(), n.domain()))
      fail("{}: node '{}' (op {}.{}): QONNX operator '{}' is not supported by cnnfi; supported in domains {}: {}", file,
           name, n.domain(), n.op_type(), n.op_type(), qonnx_domains(), ops::op_names("qonnx"));
    if (n.input_size() < sig->min_inputs || n.input_size() > sig->max_inputs)
      fail("{}: node '{}' (op {}): has {} inputs; {} takes {} ({})", file, name, n.op_type(), n.input_size(), n.op_type(),
           sig->min_inputs == sig->max_inputs ? std::to_string(sig->min_inputs)
                                              : fmt::format("{} to {}", sig->min_inputs, sig->max_inputs),
           sig->inputs);
    for (int k = 1; k < sig->min_inputs; ++k)
      if (n.input(k).empty())
        fail("{}: node '{}' (op {}): input {} is empty; {} needs {}", file, name, n.op_type(), k, n.op_type(), sig->inputs);
    used.insert(n.domain());
  }
  if (used.empty()) return;
  register_qonnx_schemas();
  for (const auto& o : model.opset_import()) used.erase(o.domain());
  for (const auto& d : used) {
    auto* o = model.add_opset_import();
    o->set_domain(d);
    o->set_version(1);
  }
}

}  // namespace cnnfi::onnx_io
