// The executor: runs a planned graph on libtorch CPU tensors, batched.
//
// It is built for fault injection:
//  (a) weights are the executor's own tensors; weight(name) returns the live tensor, so an
//      in-place edit (a bit flip) is seen by the next run, and WeightSnapshot restores it
//      bit-exactly;
//  (b) a NodeHook is asked once per node and run whether it wants that node's outputs; only the
//      nodes it wants pay for the callback, where it may observe or replace the outputs;
//  (c) capture() runs a batch once and keeps, for each chosen resume node, the values live at
//      that point; resume() re-runs only from that node with those cached inputs.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "graph/graph.h"
#include "ops/op.h"

namespace cnnfi::exec {

/// Observes or replaces node outputs during a run (two phases: wants, then on_output).
class NodeHook {
 public:
  virtual ~NodeHook() = default;
  /// Asked for each node before it runs; false keeps the node on the fast path.
  virtual bool wants(int node) const = 0;
  /// Called after a wanted node ran; may replace any of its output tensors.
  virtual void on_output(int node, std::vector<at::Tensor>& outputs) = 0;
};

/// Values saved by capture() for one input batch.
struct GoldenCache {
  std::vector<int> resume_nodes;          ///< nodes resume() may start from
  std::map<int, at::Tensor> values;       ///< value index -> golden tensor (live-ins of the resume nodes)
  std::vector<at::Tensor> outputs;        ///< golden graph outputs
  int64_t bytes() const;                  ///< memory held
};

/// A copy of chosen weights, to restore them bit-exactly after an injection.
class WeightSnapshot {
 public:
  WeightSnapshot() = default;
  void add(const std::string& name, const at::Tensor& live);
  void restore();  ///< copies the saved bits back into the live tensors
 private:
  std::vector<std::pair<at::Tensor, at::Tensor>> saved_;  ///< (live, copy)
};

class Executor {
 public:
  explicit Executor(std::shared_ptr<const graph::Graph> graph);

  const graph::Graph& graph() const { return *graph_; }
  std::shared_ptr<const graph::Graph> graph_ptr() const { return graph_; }

  // (a) weights
  /// Names of the weight tensors (float initializers), in initializer order.
  std::vector<std::string> weight_names() const;
  /// The live weight tensor; throws listing the weights if `name` is not one.
  at::Tensor weight(const std::string& name) const;
  WeightSnapshot snapshot(const std::vector<std::string>& names) const;
  /// Weights the optimiser trains: all weights except BatchNormalization running statistics.
  std::vector<at::Tensor> trainable() const;

  // (b) running
  /// Runs the graph on its inputs (in graph-input order); returns the graph outputs.
  std::vector<at::Tensor> run(const std::vector<at::Tensor>& inputs, NodeHook* hook = nullptr) const;
  /// One input, first output: the common classifier case.
  at::Tensor forward(const at::Tensor& input, NodeHook* hook = nullptr) const;
  /// Training mode: BatchNormalization uses batch statistics; autograd records the graph.
  /// `generator` (training only) draws every random choice of a training step (Dropout masks).
  void set_training(bool on, at::Generator generator = {});
  bool training() const { return state_.training; }

  // (c) golden cache and resume
  GoldenCache capture(const at::Tensor& input, const std::vector<int>& resume_nodes) const;
  /// Runs nodes [node, end) from the cache; `node` must be one of cache.resume_nodes.
  /// `overrides` replace cached values (value index -> tensor), e.g. a recomputed node output.
  std::vector<at::Tensor> resume(const GoldenCache& cache, int node, NodeHook* hook = nullptr,
                                 const std::map<int, at::Tensor>* overrides = nullptr) const;
  /// Runs one node's kernel on the given inputs (errors name the node).
  std::vector<at::Tensor> run_node(int node, const std::vector<at::Tensor>& inputs) const;
  /// A node's kernel, and replacing it (how another arithmetic, such as integer execution in
  /// quant/, runs on the same planned graph without copying it).
  const ops::KernelFn& kernel(int node) const { return kernels_.at(static_cast<size_t>(node)); }
  void replace_kernel(int node, ops::KernelFn fn) { kernels_.at(static_cast<size_t>(node)) = std::move(fn); }
  /// Values that must be held to start at `node` (produced before it, read at or after it).
  std::vector<int> live_in(int node) const;

 private:
  std::vector<at::Tensor> execute(std::vector<at::Tensor>& slots, int first, NodeHook* hook,
                                  const std::vector<int>* keep) const;
  void check_input(const at::Tensor& t, int value) const;

  std::shared_ptr<const graph::Graph> graph_;
  std::vector<ops::KernelFn> kernels_;
  std::vector<at::Tensor> base_slots_;      ///< weights and constants, indexed by value
  std::vector<std::vector<int>> release_;   ///< per node: values whose last reader it is
  std::vector<bool> is_output_;
  std::map<std::string, int> weight_index_;
  ops::RunState state_;
};

}  // namespace cnnfi::exec
