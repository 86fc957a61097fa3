// Transient faults in node outputs (activations), injected through the executor's node hook:
// only the producing node pays for the callback. The fault list format is the weight faults'
// (weight_fault.h) with `param` naming a node output and `image` choosing the inference.
// Activation words use the campaign's format when it needs no calibration: fp32, fp16, bf16, and
// the k-bit codes of seed 002's networks (binary, int2, int4 at unit scale: the outputs of their
// Sign / Round activation quantisers are the codes themselves). With a packed layout
// (fault/layout.h) a burst covers the adjacent lanes of one memory word of the image's slice,
// packed row-major. The int8 activations of seed 003 come with the quantisation modules.
#pragma once
#include <map>
#include <vector>

#include "exec/executor.h"
#include "fault/layout.h"
#include "fault/weight_fault.h"
#include "repr/format.h"

namespace cnnfi::fault {

class ActivationHook : public exec::NodeHook {
 public:
  ActivationHook(const graph::Graph& graph, const repr::Format& format, const Layout& layout = {});

  /// True if `name` is a node output this hook can fault.
  bool is_activation(const std::string& name) const;
  /// Index of the node producing `name`; throws naming the tensor if it is not a node output.
  int producer(const std::string& name) const;
  /// Arms the activation faults that hit images [start, start + count) of the evaluated set.
  /// Returns whether any fault is armed.
  bool arm(const std::vector<WeightFault>& faults, int64_t start, int64_t count);
  void disarm() { armed_.clear(); }

  bool wants(int node) const override { return armed_.count(node) > 0; }
  void on_output(int node, std::vector<at::Tensor>& outputs) override;

 private:
  struct Armed {
    int slot = 0;          ///< which output of the node
    int64_t row = -1;      ///< batch row, -1 = every row
    WeightFault fault;
  };
  const graph::Graph& graph_;
  const repr::Format& format_;
  Layout layout_;
  std::map<int, std::vector<Armed>> armed_;
  std::map<int, repr::Params> codes_;              ///< model:* formats: per node, its quantiser's per-element parameters
  std::map<int, const repr::Format*> own_format_;  ///< model:* formats: per node, its quantiser's own word
};

}  // namespace cnnfi::fault
