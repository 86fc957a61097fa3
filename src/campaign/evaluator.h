// The one fault-evaluation path every campaign kind uses (single, replay, exhaustive, sampled,
// incremental, bit-sweep, layer-wise): trials of weight faults evaluated over an image set.
//
// Speed without copying the model: the loop is batch-outer, trial-inner. For each batch of
// images the golden run is captured once, keeping the live values at every node where a trial
// of the chunk starts (the first node reading a faulty weight); each trial then injects its
// faults in place, resumes from that node, records per-image facts and restores the weights.
// Trials whose faults are all provably masked (stuck-at on a bit already at that value) are
// recorded as masked without running. A trial whose only fault is in the weight of a Conv
// (group 1) changes one output channel of it: that channel alone is recomputed and spliced into
// the cached golden output, and the run resumes after the Conv. This is used only where, for
// that node and batch, the one-channel convolution reproduces the golden channel bit-exactly
// (checked at run time), so results stay identical to a full forward. The channel is then
// pushed on alone through the nodes that act per channel and follow the Conv in a line
// (BatchNormalization, Relu, Add of a golden operand; each checked bit-exact the same way), and
// the run resumes after the last of them. Where the channel comes out bit-identical to the
// golden one at any of these nodes (the change was lost in rounding, or cut off by the ReLU),
// nothing downstream can differ: the trial's logits are the golden ones, without resuming.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "campaign/outcome.h"
#include "data/loader.h"
#include "exec/executor.h"
#include "fault/injector.h"
#include "store/store.h"

namespace cnnfi::campaign {

class OutputBound;

struct EvaluatorOptions {
  int64_t batch = 500;  ///< images per pass (ResNet-20 activations stay below the 32 MiB mmap threshold)
  bool resume = true;  ///< false: brute force, a full forward per trial and batch
  bool splice = true;  ///< recompute only the faulty output channel of a Conv (when exact)
  /// Skip a single weight fault on a batch whose every image a bound proves unchanged (fact
  /// kProven; campaign/bound.h). Off by default (`exact: true`): facts then equal brute force.
  bool prove = false;
};

struct TrialResult {
  std::vector<uint8_t> facts;  ///< one byte per image, in data order
  bool skipped = false;        ///< provably masked, not run
  int64_t proven = 0;          ///< images proven unchanged by the bound, not run
  int64_t vanished = 0;        ///< batches where the faulty channel came out bit-identical to the golden one (not resumed)
};

/// What the runner asks of an evaluator: the fault-free facts, and each trial's facts over every
/// image. FaultEvaluator serves every kind whose trials are fault lists; a kind that injects
/// otherwise (quantised modules) brings its own through KindOptions::make_evaluator.
class TrialEvaluator {
 public:
  virtual ~TrialEvaluator() = default;
  /// Fault-free facts for every image (all "masked"); golden top-1 accuracy comes from these.
  virtual const std::vector<uint8_t>& golden_facts() = 0;
  /// Fault-free top-1 class and label of every image (after golden_facts()).
  virtual const std::vector<int64_t>& golden_top1() = 0;
  virtual const std::vector<int64_t>& labels() = 0;
  virtual std::vector<TrialResult> run_plans(const std::vector<const store::TrialPlan*>& trials) = 0;
  /// Whether it applies the campaign's `protection` itself (and records it in the metadata).
  virtual bool applies_protection() const { return false; }
};

class FaultEvaluator : public TrialEvaluator {
 public:
  FaultEvaluator(exec::Executor& exec, fault::WeightInjector& injector, data::Source& source,
                 const data::Preprocess& pre, EvaluatorOptions opts = {});

  const std::vector<uint8_t>& golden_facts() override;
  const std::vector<int64_t>& golden_top1() override { golden_facts(); return golden_top1_; }
  const std::vector<int64_t>& labels() override { golden_facts(); return labels_; }
  std::vector<TrialResult> run_plans(const std::vector<const store::TrialPlan*>& trials) override;
  /// Evaluates each trial over every image. `on_trial(index, result)` is called as trials finish
  /// (in order); the results are also returned.
  std::vector<TrialResult> run(const std::vector<std::vector<fault::WeightFault>>& trials,
                               const std::function<void(size_t, const TrialResult&)>& on_trial = {});
  int64_t images() const { return source_.size(); }

 private:
  exec::Executor& exec_;
  fault::WeightInjector& injector_;
  data::Source& source_;
  data::Preprocess pre_;
  EvaluatorOptions opts_;
  std::vector<uint8_t> golden_facts_;
  std::vector<int64_t> golden_top1_, labels_;
  std::shared_ptr<OutputBound> bound_;  ///< exact: false; kept across run() calls (its gains are the golden weights')
  bool bound_shapes_ = false;
};

}  // namespace cnnfi::campaign
