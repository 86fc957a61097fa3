// over-time (seed 002): upsets that accumulate in the weight memory of an accelerator while it
// classifies a stream of images. Per repetition one random fault list (as incremental: uniform
// over the selected memory) where each fault also gets an arrival, the index of the image at
// which it strikes, uniform over the pass through the evaluated images; the trial with N faults
// injects the first N, each present from its arrival on. Optional scrubbing every S images: the
// memory is rewritten from a golden copy at images 0, S, 2S, ..., so a fault stays only until the
// next scrub (a protection what-if).
// Keys: repetitions (20), schedule (fault counts, default [1, 2, 5, 10, 20, 50, 100]), scrub (S
// images; 0 = never, the default).
// Evaluation: one pass over the images per trial, cut into segments where the set of present
// faults changes (arrivals and scrubs); a segment whose set is empty takes the golden facts, the
// others run once with their faults injected. No image runs twice, whatever N. The arrival is
// stored as the fault's `image`.
#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "campaign/kind.h"
#include "data/loader.h"
#include "eval/metrics.h"
#include "fault/generate.h"
#include "fault/injector.h"
#include "fault/rng.h"
#include "repr/format.h"
#include "util/error.h"

namespace cnnfi::campaign {

namespace {

struct OverTimeOptions : KindOptions {
  int repetitions = 20;
  std::vector<int64_t> schedule = {1, 2, 5, 10, 20, 50, 100};
  int64_t scrub = 0;
  std::unique_ptr<TrialEvaluator> make_evaluator(const EvaluatorContext& ctx) const override;
};

class OverTimeEvaluator : public TrialEvaluator {
 public:
  OverTimeEvaluator(const OverTimeOptions& o, const EvaluatorContext& ctx)
      : ctx_(ctx), scrub_(o.scrub), injector_(ctx.exec, repr::find_format(ctx.config.format.empty() ? "fp32" : ctx.config.format)) {
    if (ctx.config.layout.packed()) injector_.set_layout(ctx.config.layout);
    if (ctx.meta) ctx.meta->extra["over_time"] = nlohmann::json{{"scrub", o.scrub}, {"arrival", "uniform over the images"}}.dump();
  }

  const std::vector<uint8_t>& golden_facts() override {
    if (facts_.empty()) {
      data::Loader loader(ctx_.source, ctx_.pre, ctx_.batch);
      data::Batch b;
      std::vector<at::Tensor> logits, labels;
      while (loader.next(b)) {
        const at::Tensor l = ctx_.exec.forward(b.images);
        eval::check_labels(l, b.labels, b.start, ctx_.exec.graph().file);
        const GoldenBatch g = make_golden(l, b.labels);
        append_facts(l, g, facts_);
        logits.push_back(l.detach().clone());
        labels.push_back(b.labels);
        const at::Tensor t1 = g.top1.contiguous(), lab = b.labels.contiguous();
        top1_.insert(top1_.end(), t1.data_ptr<int64_t>(), t1.data_ptr<int64_t>() + t1.numel());
        labels_.insert(labels_.end(), lab.data_ptr<int64_t>(), lab.data_ptr<int64_t>() + lab.numel());
      }
      logits_ = at::cat(logits);
      label_t_ = at::cat(labels);
    }
    return facts_;
  }
  const std::vector<int64_t>& golden_top1() override { golden_facts(); return top1_; }
  const std::vector<int64_t>& labels() override { golden_facts(); return labels_; }

  std::vector<TrialResult> run_plans(const std::vector<const store::TrialPlan*>& trials) override {
    golden_facts();
    const int64_t n = static_cast<int64_t>(facts_.size());
    data::Loader loader(ctx_.source, ctx_.pre, ctx_.batch);
    std::vector<TrialResult> out(trials.size());
    for (size_t k = 0; k < trials.size(); ++k) {
      const auto& faults = trials[k]->faults;
      // Segment boundaries: every arrival and every scrub.
      std::vector<int64_t> cuts = {0, n};
      for (const auto& f : faults) {
        if (f.image < 0 || f.image >= n)
          fail("{}: trial {}: fault {} arrives at image {}, outside the {} evaluated images", ctx_.config.file,
               trials[k]->trial, f.id, f.image, n);
        cuts.push_back(f.image);
      }
      if (scrub_ > 0)
        for (int64_t s = scrub_; s < n; s += scrub_) cuts.push_back(s);
      std::sort(cuts.begin(), cuts.end());
      cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
      auto& facts = out[k].facts;
      for (size_t s = 0; s + 1 < cuts.size(); ++s) {
        const int64_t from = cuts[s], to = cuts[s + 1];
        const int64_t since = scrub_ > 0 ? from / scrub_ * scrub_ : 0;  // the last scrub
        std::vector<fault::WeightFault> present;
        for (const auto& f : faults)
          if (f.image <= from && f.image >= since) present.push_back(f);
        if (present.empty() || !injector_.inject(present)) {
          injector_.restore();
          facts.insert(facts.end(), facts_.begin() + from, facts_.begin() + to);
          continue;
        }
        for (int64_t b = from; b < to; b += ctx_.batch) {
          const int64_t count = std::min(ctx_.batch, to - b);
          const data::Batch batch = loader.read(b, count);
          const at::Tensor l = ctx_.exec.forward(batch.images);
          append_facts(l, make_golden(logits_.narrow(0, b, count), label_t_.narrow(0, b, count)), facts);
        }
        injector_.restore();
      }
    }
    return out;
  }

 private:
  EvaluatorContext ctx_;
  int64_t scrub_;
  fault::WeightInjector injector_;
  std::vector<uint8_t> facts_;
  std::vector<int64_t> top1_, labels_;
  at::Tensor logits_, label_t_;
};

std::unique_ptr<TrialEvaluator> OverTimeOptions::make_evaluator(const EvaluatorContext& ctx) const {
  return std::make_unique<OverTimeEvaluator>(*this, ctx);
}

}  // namespace

std::shared_ptr<KindOptions> parse_over_time(const Keys& k) {
  auto o = std::make_shared<OverTimeOptions>();
  o->repetitions = static_cast<int>(k.integer_or("repetitions", 1, 1000000, 20));
  o->schedule = read_schedule(k, o->schedule);
  o->scrub = k.integer_or("scrub", 0, 1000000000, 0);
  return o;
}

std::vector<store::TrialPlan> plan_over_time(const PlanInput& in) {
  const auto& c = in.config.kind_options<OverTimeOptions>();
  if (!in.meta || in.meta->images <= 0) fail("{}: kind over-time needs the number of images to draw arrivals", in.config.file);
  const int64_t images = in.meta->images;
  std::vector<store::TrialPlan> out;
  const int64_t most = c.schedule.back();
  fault::GenerateSpec spec = generate_spec(in.config);
  spec.total = most;
  int64_t faults = 0;
  for (int64_t n : c.schedule) faults += n;
  in.check_plan_size(static_cast<int64_t>(c.schedule.size()) * c.repetitions, faults * c.repetitions);
  for (int rep = 0; rep < c.repetitions; ++rep) {
    fault::Rng rng(trial_seed(in.config.seed, 0, static_cast<uint64_t>(rep)));
    std::vector<fault::WeightFault> list;
    if (most > 0) list = fault::generate(in.injector, spec, rng);
    fault::Rng when(trial_seed(in.config.seed, 1, static_cast<uint64_t>(rep)));
    for (auto& f : list) f.image = static_cast<int64_t>(when.below(static_cast<uint64_t>(images)));
    for (int64_t n : c.schedule) {
      store::TrialPlan t;
      t.point = fmt::format("faults={}", n);
      t.x = static_cast<double>(n);
      t.rep = rep;
      t.faults.assign(list.begin(), list.begin() + n);
      out.push_back(std::move(t));
    }
  }
  return out;
}

}  // namespace cnnfi::campaign
