#include "campaign/evaluator.h"

#include <algorithm>
#include <map>
#include <set>

#include <onnx/onnx_pb.h>

#include <ATen/ATen.h>

#include "campaign/bound.h"
#include "eval/metrics.h"
#include "fault/activation.h"
#include "util/error.h"

namespace cnnfi::campaign {

namespace {

int64_t conv_groups(const graph::Node& n) {
  for (const auto& a : n.proto->attribute())
    if (a.name() == "group") return a.i();
  return 1;
}

}  // namespace

FaultEvaluator::FaultEvaluator(exec::Executor& exec, fault::WeightInjector& injector, data::Source& source,
                               const data::Preprocess& pre, EvaluatorOptions opts)
    : exec_(exec), injector_(injector), source_(source), pre_(pre), opts_(opts) {}

const std::vector<uint8_t>& FaultEvaluator::golden_facts() {
  if (golden_facts_.empty()) {
    data::Loader loader(source_, pre_, opts_.batch);
    data::Batch b;
    while (loader.next(b)) {
      const at::Tensor logits = exec_.forward(b.images);
      eval::check_labels(logits, b.labels, b.start, exec_.graph().file);
      const GoldenBatch g = make_golden(logits, b.labels);
      append_facts(logits, g, golden_facts_);
      const at::Tensor t1 = g.top1.contiguous(), lab = b.labels.contiguous();
      golden_top1_.insert(golden_top1_.end(), t1.data_ptr<int64_t>(), t1.data_ptr<int64_t>() + t1.numel());
      labels_.insert(labels_.end(), lab.data_ptr<int64_t>(), lab.data_ptr<int64_t>() + lab.numel());
    }
  }
  return golden_facts_;
}

std::vector<TrialResult> FaultEvaluator::run_plans(const std::vector<const store::TrialPlan*>& trials) {
  std::vector<std::vector<fault::WeightFault>> lists;
  for (const auto* t : trials) lists.push_back(t->faults);
  return run(lists);
}

std::vector<TrialResult> FaultEvaluator::run(const std::vector<std::vector<fault::WeightFault>>& trials,
                                             const std::function<void(size_t, const TrialResult&)>& on_trial) {
  std::vector<TrialResult> results(trials.size());
  std::vector<int> start(trials.size());
  std::set<int> resume_nodes;
  // Weight faults (persistent) go through the injector, activation faults (transient) through
  // the hook; a trial resumes from the first node either touches.
  fault::ActivationHook hook(exec_.graph(), injector_.format(), injector_.layout());
  std::vector<std::vector<fault::WeightFault>> weights(trials.size()), acts(trials.size());
  std::vector<int64_t> channel(trials.size(), -1);  // splice: the faulty output channel, or -1
  std::vector<int> prove_slot(trials.size(), -1);   // prove: the faulty node's input slot, or -1
  if (opts_.prove && !bound_) bound_ = std::make_shared<OutputBound>(exec_);
  const auto& g = exec_.graph();
  const int n_nodes = static_cast<int>(g.nodes.size());
  for (size_t t = 0; t < trials.size(); ++t) {
    for (const auto& f : trials[t]) {
      const bool weight = injector_.has(f.param);
      if (!weight && f.image >= source_.size())
        fail("fault {}: image {} is beyond the {} evaluated images (images are numbered from 0)", f.id, f.image,
             source_.size());
      (weight ? weights[t] : acts[t]).push_back(f);
    }
    start[t] = injector_.first_reader(weights[t]);
    for (const auto& f : acts[t]) start[t] = std::min(start[t], hook.producer(f.param));
    if (!opts_.resume || start[t] >= n_nodes) continue;
    if (opts_.prove && acts[t].empty() && weights[t].size() == 1) {
      // One weight read by one node: the bound applies to that node's input slot.
      const int v = g.value(weights[t][0].param);
      const auto& node = g.nodes[start[t]];
      if (g.values[v].consumers.size() == 1)
        for (size_t i = 0; i < node.inputs.size(); ++i)
          if (node.inputs[i] == v) prove_slot[t] = static_cast<int>(i);
    }
    resume_nodes.insert(start[t]);
    const auto& node = g.nodes[start[t]];
    // (In packed memory a burst may span output channels: no splicing there.)
    if (opts_.splice && !injector_.layout().packed() && acts[t].empty() && weights[t].size() == 1 && node.op_type == "Conv" && start[t] + 1 < n_nodes &&
        node.inputs.size() > 1 && node.inputs[1] == g.value(weights[t][0].param) && node.outputs.size() == 1 &&
        g.values[node.inputs[1]].consumers.size() == 1 && conv_groups(node) == 1 &&
        std::find(g.outputs.begin(), g.outputs.end(), node.outputs[0]) == g.outputs.end()) {
      const int64_t out_channels = injector_.shape(weights[t][0].param).at(0);
      channel[t] = weights[t][0].flat_index / (injector_.numel(weights[t][0].param) / out_channels);
      resume_nodes.insert(start[t] + 1);
    }
  }
  data::Loader loader(source_, pre_, opts_.batch);
  data::Batch b;
  while (loader.next(b)) {
    if (bound_ && !bound_shapes_) {
      bound_->record_shapes(b.images);
      bound_shapes_ = true;
    }
    const exec::GoldenCache cache = exec_.capture(b.images, {resume_nodes.begin(), resume_nodes.end()});
    const GoldenBatch golden = make_golden(cache.outputs.at(0), b.labels);
    std::map<int, bool> splice_exact;  // per Conv node, for this batch
    // The Conv's inputs with the weight (and bias) narrowed to one output channel.
    auto one_channel = [&](int node, int64_t co) {
      const auto& n = g.nodes[node];
      std::vector<at::Tensor> in;
      for (size_t i = 0; i < n.inputs.size(); ++i) {
        const int v = n.inputs[i];
        at::Tensor x = v < 0 ? at::Tensor() : cache.values.count(v) ? cache.values.at(v) : exec_.weight(g.values[v].name);
        if (i >= 1 && x.defined()) x = x.narrow(0, co, 1);
        in.push_back(x);
      }
      return exec_.run_node(node, in).at(0);
    };
    for (size_t t = 0; t < trials.size(); ++t) {
      TrialResult& r = results[t];
      const bool armed = hook.arm(acts[t], b.start, b.labels.size(0));
      if (!injector_.inject(weights[t]) && !armed) {
        r.skipped = true;
        append_facts(golden.logits, golden, r.facts);
        continue;
      }
      if (prove_slot[t] >= 0 && !injector_.detected() && injector_.changes().size() == 1) {
        const auto& node = g.nodes[start[t]];
        const auto x = cache.values.find(node.inputs[0]);
        const auto [before, after] = injector_.changes().front();
        const auto b_img = bound_->image_bound(start[t], prove_slot[t], weights[t][0].flat_index,
                                               static_cast<double>(after) - before,
                                               x == cache.values.end() ? at::Tensor() : x->second);
        // Every image of this batch keeps its top-1 and top-5: not run. (A batch is proven whole
        // or run whole: running only the open images, as a smaller batch, can round differently
        // from the golden run, and a masked pair would then read as tolerable.)
        if (b_img && b_img->size(0) == golden.logits.size(0) &&
            OutputBound::proven(golden.logits, golden.labels, *b_img).all().item<bool>()) {
          const size_t from = r.facts.size();
          append_facts(golden.logits, golden, r.facts);
          for (size_t i = from; i < r.facts.size(); ++i) r.facts[i] |= kProven;
          r.proven += static_cast<int64_t>(r.facts.size() - from);
          injector_.restore();
          continue;
        }
      }
      try {
        const bool unread = start[t] >= n_nodes;  // no node reads it
        exec::NodeHook* h = armed ? &hook : nullptr;
        bool spliced = false;
        at::Tensor logits;
        if (!unread && channel[t] >= 0) {
          const int node = start[t];
          const int out = g.nodes[node].outputs[0];
          if (!splice_exact.count(node)) {
            // Check with the golden weights: restore, compare, re-inject.
            injector_.restore();
            splice_exact[node] = at::equal(one_channel(node, channel[t]), cache.values.at(out).narrow(1, channel[t], 1));
            injector_.inject(weights[t]);
          }
          if (splice_exact[node]) {
            // Write the recomputed channel into the cached output in place and put the golden
            // channel back afterwards (cheaper than copying the whole output per trial).
            at::Tensor ch = cache.values.at(out).narrow(1, channel[t], 1);
            const at::Tensor golden_ch = ch.clone();
            ch.copy_(one_channel(node, channel[t]));
            try {
              logits = exec_.resume(cache, node + 1, h).at(0);
            } catch (...) {
              ch.copy_(golden_ch);
              throw;
            }
            ch.copy_(golden_ch);
            spliced = true;
          }
        }
        if (!spliced)
          logits = unread ? golden.logits
                   : opts_.resume ? exec_.resume(cache, start[t], h).at(0)
                                  : exec_.forward(b.images, h);
        const size_t from = r.facts.size();
        append_facts(logits, golden, r.facts);
        // A protection that detected an uncorrectable error makes every image's result a DUE.
        if (injector_.detected())
          for (size_t i = from; i < r.facts.size(); ++i) r.facts[i] |= kDetected;
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
