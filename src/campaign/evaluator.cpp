#include "campaign/evaluator.h"

#include <set>

#include <ATen/ATen.h>

#include "fault/activation.h"

namespace cnnfi::campaign {

FaultEvaluator::FaultEvaluator(exec::Executor& exec, fault::WeightInjector& injector, data::Source& source,
                               const data::Preprocess& pre, EvaluatorOptions opts)
    : exec_(exec), injector_(injector), source_(source), pre_(pre), opts_(opts) {}

const std::vector<uint8_t>& FaultEvaluator::golden_facts() {
  if (golden_facts_.empty()) {
    data::Loader loader(source_, pre_, opts_.batch);
    data::Batch b;
    while (loader.next(b)) {
      const at::Tensor logits = exec_.forward(b.images);
      const GoldenBatch g = make_golden(logits, b.labels);
      append_facts(logits, g, golden_facts_);
      const at::Tensor t1 = g.top1.contiguous(), lab = b.labels.contiguous();
      golden_top1_.insert(golden_top1_.end(), t1.data_ptr<int64_t>(), t1.data_ptr<int64_t>() + t1.numel());
      labels_.insert(labels_.end(), lab.data_ptr<int64_t>(), lab.data_ptr<int64_t>() + lab.numel());
    }
  }
  return golden_facts_;
}

std::vector<TrialResult> FaultEvaluator::run(const std::vector<std::vector<fault::WeightFault>>& trials,
                                             const std::function<void(size_t, const TrialResult&)>& on_trial) {
  std::vector<TrialResult> results(trials.size());
  std::vector<int> start(trials.size());
  std::set<int> resume_nodes;
  // Weight faults (persistent) go through the injector, activation faults (transient) through
  // the hook; a trial resumes from the first node either touches.
  fault::ActivationHook hook(exec_.graph(), injector_.format());
  std::vector<std::vector<fault::WeightFault>> weights(trials.size()), acts(trials.size());
  for (size_t t = 0; t < trials.size(); ++t) {
    for (const auto& f : trials[t]) (injector_.has(f.param) ? weights[t] : acts[t]).push_back(f);
    start[t] = injector_.first_reader(weights[t]);
    for (const auto& f : acts[t]) start[t] = std::min(start[t], hook.producer(f.param));
    if (opts_.resume && start[t] < static_cast<int>(exec_.graph().nodes.size())) resume_nodes.insert(start[t]);
  }
  data::Loader loader(source_, pre_, opts_.batch);
  data::Batch b;
  while (loader.next(b)) {
    const exec::GoldenCache cache = exec_.capture(b.images, {resume_nodes.begin(), resume_nodes.end()});
    const GoldenBatch golden = make_golden(cache.outputs.at(0), b.labels);
    for (size_t t = 0; t < trials.size(); ++t) {
      TrialResult& r = results[t];
      const bool armed = hook.arm(acts[t], b.start, b.labels.size(0));
      if (!injector_.inject(weights[t]) && !armed) {
        r.skipped = true;
        append_facts(golden.logits, golden, r.facts);
        continue;
      }
      try {
        const bool unread = start[t] >= static_cast<int>(exec_.graph().nodes.size());  // no node reads it
        exec::NodeHook* h = armed ? &hook : nullptr;
        const at::Tensor logits = unread ? golden.logits
                                  : opts_.resume ? exec_.resume(cache, start[t], h).at(0)
                                                 : exec_.forward(b.images, h);
        append_facts(logits, golden, r.facts);
      } catch (...) {
        injector_.restore();
        throw;
      }
      injector_.restore();
    }
  }
  if (on_trial)
    for (size_t t = 0; t < trials.size(); ++t) on_trial(t, results[t]);
  return results;
}

}  // namespace cnnfi::campaign
