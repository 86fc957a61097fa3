// The operator interface. An operator is one file in ops/ that defines
//   KernelFn make_<Op>(const OpContext& ctx)
// and one line CNNFI_OP(<Op>, weight input, bias input) in ops/op_list.def. The factory runs once at plan time: it reads
// the node's attributes (and the values of inputs known at plan time) and returns a kernel that
// the executor calls on every inference. A kernel never edits its inputs.
//
// Template for a new operator (ops/myop.cpp):
//   #include "ops/op.h"
//   namespace cnnfi::ops {
//   KernelFn make_MyOp(const OpContext& ctx) {
//     const int64_t axis = ctx.attr_int("axis", 1);          // parse once
//     return [axis](const Inputs& in, const RunState&) -> Outputs {
//       return {in[0].some_aten_op(axis)};                   // run many times
//     };
//   }
//   }  // namespace cnnfi::ops
// then add CNNFI_OP(MyOp, -1, -1) to op_list.def (or the indices of its weight and bias inputs
// for a weighted layer); the conformance test picks it up from the table.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "graph/graph.h"
#include "util/error.h"

namespace onnx {
class AttributeProto;
}

namespace cnnfi::ops {

using Inputs = std::vector<at::Tensor>;   ///< undefined tensor for an omitted optional input
using Outputs = std::vector<at::Tensor>;

/// Per-run state a kernel may read.
struct RunState {
  bool training = false;  ///< BatchNormalization uses batch statistics and updates running ones
  at::Generator generator;  ///< training: the trainer's seeded generator (Dropout masks)
};

using KernelFn = std::function<Outputs(const Inputs&, const RunState&)>;

/// What an operator factory sees of its node at plan time.
class OpContext {
 public:
  OpContext(const graph::Graph& g, const graph::Node& n) : graph_(g), node_(n) {}

  const graph::Node& node() const { return node_; }
  int opset() const { return node_.opset; }
  size_t num_inputs() const { return node_.inputs.size(); }
  size_t num_outputs() const { return node_.outputs.size(); }
  bool has_input(size_t i) const { return i < node_.inputs.size() && node_.inputs[i] >= 0; }
  bool has_output(size_t i) const { return i < node_.outputs.size() && node_.outputs[i] >= 0; }
  /// The value of input i if it is a plan-time constant (not a weight, not computed).
  std::optional<at::Tensor> const_input(size_t i) const;
  /// Static shape of input i from shape inference, if known.
  std::optional<std::vector<int64_t>> input_shape(size_t i) const;

  bool has_attr(const std::string& name) const;
  int64_t attr_int(const std::string& name, int64_t dflt) const;
  float attr_float(const std::string& name, float dflt) const;
  std::string attr_string(const std::string& name, const std::string& dflt) const;
  std::vector<int64_t> attr_ints(const std::string& name, std::vector<int64_t> dflt = {}) const;
  std::vector<float> attr_floats(const std::string& name, std::vector<float> dflt = {}) const;
  at::Tensor attr_tensor(const std::string& name) const;  ///< throws if absent

  /// "<file>: <node description>", for messages a kernel raises at run time.
  std::string where() const;
  /// Throws cnnfi::Error "<file>: <node description>: <message>".
  [[noreturn]] void error(const std::string& message) const;

 private:
  const onnx::AttributeProto* find_attr(const std::string& name) const;
  const graph::Graph& graph_;
  const graph::Node& node_;
};

/// Reads a list of int64 values from a small int tensor (shapes, axes, pads).
std::vector<int64_t> to_int_vector(const at::Tensor& t);
/// Normalises a possibly negative axis against `rank`; `ctx` names the node on error.
int64_t normalize_axis(int64_t axis, int64_t rank, const std::string& where);

/// Elementwise ops before opset 7 broadcast B onto A only with broadcast=1, B's dimensions
/// aligned at `axis` (default: trailing, as numpy). align() reshapes B for numpy broadcasting.
struct LegacyBroadcast {
  int64_t axis = -1;  ///< -1: numpy (trailing) alignment
  at::Tensor align(const at::Tensor& a, const at::Tensor& b) const;
};
LegacyBroadcast legacy_broadcast(const OpContext& ctx);

using Factory = KernelFn (*)(const OpContext&);

struct OpEntry {
  const char* op_type;
  Factory factory;
  int weight_input = -1;  ///< the input holding the layer's weight (-1: not a weighted layer)
  int bias_input = -1;    ///< the input holding its bias (-1: none)
  const char* domain = "";  ///< "" for ONNX's default domain, "qonnx" for the QONNX quantisers
};

/// The operator table, from op_list.def (ONNX default domain) and qonnx_op_list.def (QONNX
/// quantisers): the one source of truth. Operator names are unique across both.
const std::vector<OpEntry>& op_table();
/// The factory for `op_type`, or nullptr.
Factory find_op(const std::string& op_type);
/// The table entry of `op_type`, or nullptr.
const OpEntry* find_op_entry(const std::string& op_type);
/// The table entry of `op_type` in the node domain `domain` ("", "ai.onnx", or one of the QONNX
/// domain names of onnx/qonnx.h), or nullptr when that domain has no such operator.
const OpEntry* find_op_entry(const std::string& op_type, const std::string& domain);
/// The operator names of one table domain ("" or "qonnx"), comma-separated, for messages.
std::string op_names(const std::string& table_domain);

#define CNNFI_OP(name, weight, bias) KernelFn make_##name(const OpContext& ctx);
#include "ops/op_list.def"
#undef CNNFI_OP
#define CNNFI_QONNX_OP(name) KernelFn make_##name(const OpContext& ctx);
#include "ops/qonnx_op_list.def"
#undef CNNFI_QONNX_OP

}  // namespace cnnfi::ops
