// Builds ONNX models in code (reference architectures, test graphs). Nodes and initializers
// are added in order; finish() runs the ONNX checker.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace onnx {
class ModelProto;
class NodeProto;
}  // namespace onnx

namespace cnnfi::onnx_io {

struct Attr {
  enum class Kind { i, f, s, ints, floats } kind;
  std::string name;
  int64_t i = 0;
  float f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  static Attr Int(std::string n, int64_t v) { return {Kind::i, std::move(n), v, 0, "", {}, {}}; }
  static Attr Float(std::string n, float v) { return {Kind::f, std::move(n), 0, v, "", {}, {}}; }
  static Attr Str(std::string n, std::string v) { return {Kind::s, std::move(n), 0, 0, std::move(v), {}, {}}; }
  static Attr Ints(std::string n, std::vector<int64_t> v) { return {Kind::ints, std::move(n), 0, 0, "", std::move(v), {}}; }
};

class ModelBuilder {
 public:
  explicit ModelBuilder(const std::string& graph_name, int opset = 13);
  ~ModelBuilder();
  /// A float input; -1 marks the dynamic batch dimension (named "batch").
  void input(const std::string& name, const std::vector<int64_t>& dims);
  void output(const std::string& name, const std::vector<int64_t>& dims);
  /// Adds an initializer and returns its name.
  std::string initializer(const std::string& name, const at::Tensor& value);
  /// Adds a node with one output named `out` (or "<name>_out" when empty); returns the output name.
  /// `domain` empty: ONNX's default domain (a QONNX domain is not imported: Brevitas does not either).
  std::string node(const std::string& op, const std::string& name, const std::vector<std::string>& inputs,
                   const std::vector<Attr>& attrs = {}, std::string out = "", const std::string& domain = "");
  /// The finished model, checked by the ONNX checker unless `check` is false (a model written as
  /// another tool writes it, for the importer to check).
  onnx::ModelProto finish(bool check = true);

 private:
  std::unique_ptr<onnx::ModelProto> model_;
};

/// Sets metadata_props[key] = value, replacing an entry with the same key.
void set_metadata(onnx::ModelProto& model, const std::string& key, const std::string& value);

/// Removes, until none is left, every node that `may_drop` accepts and whose outputs nothing reads
/// (no node, no graph output), then every initializer nothing reads: what a graph rewrite leaves
/// dangling. Returns the number of nodes removed.
int drop_unread(onnx::ModelProto& model, const std::function<bool(const onnx::NodeProto&)>& may_drop);

/// Writes `model` to `path`; errors name the path.
void save_model(const onnx::ModelProto& model, const std::string& path);

}  // namespace cnnfi::onnx_io
