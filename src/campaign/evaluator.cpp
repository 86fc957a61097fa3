#include "campaign/evaluator.h"

#include <algorithm>
#include <map>
#include <optional>
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

bool is_graph_output(const graph::Graph& g, int v) {
  return std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end();
}

// The nodes after a spliced Conv that act on each channel alone and read its output and nothing
// else of what a fault changes: BatchNormalization, Relu, and Add with a second operand of the
// same shape, each the single consumer of the previous one and the next node in order, so that
// resuming after the last of them skips nothing. A fault's channel is pushed through them alone.
std::vector<int> channel_chain(const graph::Graph& g, int conv) {
  std::vector<int> chain;
  for (int cur = conv; cur + 1 < static_cast<int>(g.nodes.size()); ++cur) {
    const int v = g.nodes[cur].outputs[0];
    const auto& n = g.nodes[cur + 1];
    if (g.values[v].consumers != std::vector<int>{cur + 1} || n.outputs.size() != 1 || is_graph_output(g, n.outputs[0]))
      break;
    const auto reads = std::count(n.inputs.begin(), n.inputs.end(), v);
    const bool local = (n.op_type == "Relu" && n.inputs.size() == 1) ||
                       (n.op_type == "BatchNormalization" && n.inputs.size() == 5 && n.inputs[0] == v && reads == 1) ||
                       (n.op_type == "Add" && n.inputs.size() == 2 && reads == 1);
    if (!local) break;
    chain.push_back(cur + 1);
  }
  return chain;
}

// Bit-identical (NaN payloads and the sign of zero included), unlike at::equal.
bool same_bits(const at::Tensor& a, const at::Tensor& b) {
  return a.scalar_type() == at::kFloat && b.scalar_type() == at::kFloat && a.sizes() == b.sizes() &&
         at::equal(a.view(at::kInt), b.view(at::kInt));
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
  std::map<int, std::vector<int>> chains;           // splice: per Conv, its channel_chain
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
      auto chain = chains.find(start[t]);
      if (chain == chains.end()) chain = chains.emplace(start[t], channel_chain(g, start[t])).first;
      // Every chain node and the one after it: their live-ins are the golden values the
      // channel is compared with and spliced into, and the Adds' other operands.
      resume_nodes.insert(start[t] + 1);
      for (int j : chain->second) resume_nodes.insert(j + 1);
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
    // Per Conv node, for this batch: how many nodes of its chain one channel reproduces bit for
    // bit, or -1 where the one-channel Conv itself does not (no splicing then).
    std::map<int, int> splice_len;
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
    // A chain node on channel `co` alone, `x` standing for the channel of value `changed`; none
    // where an operand is not there to narrow.
    auto one_channel_step = [&](int node, int64_t co, int changed, const at::Tensor& x) -> std::optional<at::Tensor> {
      const auto& n = g.nodes[node];
      std::vector<at::Tensor> in;
      for (const int v : n.inputs) {
        // (Contiguous, as the full tensors are: libtorch's kernels may take another path, and
        // round otherwise, on strided inputs.)
        if (v == changed) {
          in.push_back(x.contiguous());
        } else if (n.op_type == "BatchNormalization") {
          // Scale, bias, mean and variance: one value per channel, weights of the model.
          if (g.values[v].producer >= 0) return std::nullopt;
          at::Tensor p;
          try {
            p = exec_.weight(g.values[v].name);
          } catch (const Error&) {
            return std::nullopt;
          }
          if (p.dim() != 1 || p.size(0) != cache.values.at(changed).size(1)) return std::nullopt;
          in.push_back(p.narrow(0, co, 1));
        } else {
          const auto c = cache.values.find(v);
          if (c == cache.values.end() || c->second.sizes() != cache.values.at(changed).sizes()) return std::nullopt;
          in.push_back(c->second.narrow(1, co, 1).contiguous());
        }
      }
      return exec_.run_node(node, in).at(0);
    };
    // The faulty channel through the Conv and as far along its chain as splicing is exact:
    // returns the last node computed, its channel, and whether it is bit-identical to the golden
    // one there (the fault vanished: nothing downstream can differ).
    struct ChannelRun {
      int node;
      at::Tensor channel;
      bool vanished;
    };
    auto run_channel = [&](int conv, int64_t co, int steps) {
      ChannelRun run{conv, one_channel(conv, co), false};
      const auto golden_at = [&](int node) { return cache.values.at(g.nodes[node].outputs[0]).narrow(1, co, 1); };
      run.vanished = same_bits(run.channel, golden_at(conv));
      const auto& chain = chains.at(conv);
      for (int k = 0; k < steps && !run.vanished; ++k) {
        run.channel = *one_channel_step(chain[k], co, g.nodes[run.node].outputs[0], run.channel);
        run.node = chain[k];
        run.vanished = same_bits(run.channel, golden_at(run.node));
      }
      return run;
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
        if (!unread && channel[t] >= 0 && h == nullptr) {
          const int node = start[t];
          const int64_t co = channel[t];
          if (!splice_len.count(node)) {
            // Check with the golden weights (restore, compare, re-inject): the one-channel Conv,
            // then each chain node, must give the cached golden channel bit for bit.
            injector_.restore();
            int len = -1;
            if (same_bits(one_channel(node, co), cache.values.at(g.nodes[node].outputs[0]).narrow(1, co, 1))) {
              at::Tensor x = cache.values.at(g.nodes[node].outputs[0]).narrow(1, co, 1);
              int changed = g.nodes[node].outputs[0];
              for (len = 0; len < static_cast<int>(chains.at(node).size()); ++len) {
                const int j = chains.at(node)[static_cast<size_t>(len)];
                const auto y = one_channel_step(j, co, changed, x);
                if (!y || !same_bits(*y, cache.values.at(g.nodes[j].outputs[0]).narrow(1, co, 1))) break;
                x = *y;
                changed = g.nodes[j].outputs[0];
              }
            }
            splice_len[node] = len;
            injector_.inject(weights[t]);
          }
          if (splice_len[node] >= 0) {
            const ChannelRun run = run_channel(node, co, splice_len[node]);
            if (run.vanished) {
              // Lost in rounding or cut off by a ReLU: every value downstream is the golden one,
              // bit for bit (the executor is deterministic), so the logits are too.
              logits = golden.logits;
              ++r.vanished;
            } else {
              // Write the channel into the cached output in place and put the golden channel
              // back afterwards (cheaper than copying the whole output per trial).
              at::Tensor ch = cache.values.at(g.nodes[run.node].outputs[0]).narrow(1, co, 1);
              const at::Tensor golden_ch = ch.clone();
              ch.copy_(run.channel);
              try {
                logits = exec_.resume(cache, run.node + 1, h).at(0);
              } catch (...) {
                ch.copy_(golden_ch);
                throw;
              }
              ch.copy_(golden_ch);
            }
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
