// The IR of one ONNX model, planned once: values (tensors) and nodes in topological order,
// which values are weights (float initializers, the places where weight faults land), which are
// plan-time constants (folded), and which are computed per inference.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace onnx {
class ModelProto;
class NodeProto;
}  // namespace onnx

namespace cnnfi::graph {

enum class ValueKind {
  input,         ///< a graph input fed per inference
  weight,        ///< a float initializer: stored parameter memory (weights, biases, BN statistics)
  constant,      ///< known at plan time: a non-float initializer, a Constant, or a folded subgraph
  intermediate,  ///< produced by a node at run time
};

struct Value {
  std::string name;
  ValueKind kind = ValueKind::intermediate;
  std::vector<int64_t> shape;  ///< from ONNX shape inference; -1 for a symbolic dimension; empty if unknown
  bool shape_known = false;
  int producer = -1;           ///< index into Graph::nodes, -1 for inputs, weights and constants
  std::vector<int> consumers;  ///< node indices, ascending
};

struct Node {
  std::string name;     ///< the ONNX node name, or "<op>_<index>" when the model left it empty
  std::string op_type;
  std::string domain;
  int opset = 0;                 ///< the opset version of the node's domain in this model
  std::vector<int> inputs;       ///< value indices; -1 for an omitted optional input
  std::vector<int> outputs;      ///< value indices; -1 for an omitted optional output
  const onnx::NodeProto* proto = nullptr;
  /// A short description for messages: "node 'conv1' (op Conv, opset 13)".
  std::string describe() const;
};

/// A weight the model stores as a quantiser's integer codes: a QONNX Quant / IntQuant /
/// BipolarQuant (or, as minifloat words, a signed FloatQuant) applied to an initializer (and any
/// Transpose, Reshape, Flatten, Squeeze, Unsqueeze or Identity after it), folded at plan time. Graph::tensors holds the dequantised
/// weight (code - zero_point) * scale, exactly what the quantiser produced; scale and zero_point
/// hold one value per element of it, so any per-channel axis survives a transpose.
struct IntegerStorage {
  int bits = 0;
  bool is_signed = true;
  bool narrow = false;
  bool bipolar = false;  ///< BipolarQuant, or a signed 1-bit Quant: codes -1 / +1 in one bit
  /// FloatQuant: a minifloat word of bits = 1 + exponent_bits + mantissa_bits (sign, exponent,
  /// mantissa; subnormals), its exponent bias, and whether an all-ones exponent encodes infinity
  /// (has_inf, IEEE-like: E5M2) or the all-ones word NaN (has_nan only: OCP E4M3).
  bool minifloat = false;
  int exponent_bits = 0, mantissa_bits = 0, exponent_bias = 0;
  bool has_inf = false, has_nan = false;
  at::Tensor scale;       ///< float32, the weight's shape
  at::Tensor zero_point;  ///< float32, the weight's shape
  std::string quantiser;  ///< the node that quantised it
  std::string source;     ///< the float initializer it quantised
  /// "int2-narrow", "uint8", "bipolar", ...: the word the hardware holds.
  std::string describe() const;
};

struct Graph {
  std::string file;                      ///< the path the model was loaded from (for messages)
  std::shared_ptr<onnx::ModelProto> model;  ///< owns the NodeProtos the nodes point into
  std::vector<Value> values;
  std::vector<Node> nodes;               ///< topological order; folded nodes are removed
  std::vector<int> inputs;               ///< runtime graph inputs, in ONNX order
  std::vector<int> outputs;              ///< graph outputs, in ONNX order
  std::vector<int> weights;              ///< weight values in initializer order
  std::map<int, at::Tensor> tensors;     ///< values of weights and constants
  std::map<std::string, int> by_name;
  int opset = 0;                         ///< default-domain opset
  std::map<int, IntegerStorage> storage;  ///< weights stored as integer codes (QONNX), by value index

  int value(const std::string& name) const;  ///< throws if absent
  bool has_value(const std::string& name) const { return by_name.count(name) > 0; }
  /// Index of the node that produces `name`, or that is named `name`; throws listing names.
  int node_index(const std::string& name) const;
};

/// "model:<storage>" when the model stores its weights as integer codes of one kind (see
/// IntegerStorage), "" when it stores none; an error naming the kinds and tensors when they differ.
std::string storage_format(const Graph& g);

/// Plan time: folds `n` into weight storage when it quantises a weight initializer read by nothing
/// else (a QONNX Quant / IntQuant / BipolarQuant / signed FloatQuant with constant parameters), or reshapes or transposes
/// such a stored weight; its output becomes the weight. `readers` counts the reads of each value.
/// Returns false (changing nothing) for any other node.
bool fold_into_storage(Graph& g, const Node& n, const std::vector<int>& readers);

/// The codes node `node` writes when it is a QONNX Quant / IntQuant / BipolarQuant / FloatQuant whose
/// parameters are known at plan time (an activation quantiser), for one image of output shape
/// `image_shape` (batch dimension 1): scale and zero point broadcast to that shape. Nothing for any
/// other node.
std::optional<IntegerStorage> activation_storage(const Graph& g, int node, const std::vector<int64_t>& image_shape);

}  // namespace cnnfi::graph
