// quantized (seed 003): the model runs in integer arithmetic (quant/model.h) and every inference
// gets its own N bit flips, drawn uniformly over the vulnerable bits of one forward pass of the
// selected modules (eq. 3.1: fault rate = N / vulnerable bits). A trial is (module set, N,
// repetition); the faults of image i in trial t come from (seed, t, i) alone, so batches, chunks
// and thread counts do not change them.
// Keys:
//   repetitions: 3 (the seed's, giving 95 % confidence intervals)
//   schedule: faults per inference, default [0, 1, 2, 5, 10, 20, 50, 100]
//   modules: module sets, each "all" or a list of i8, w8, b32, o32, o8; default [all]; the seed's
//            one-module-at-a-time experiment is [i8, w8, b32, o32, o8]
//   calibration: data spec of the calibration images (default fashion-mnist:train: not the
//            evaluated ones); calibration_images: 500 (the first ones)
//   weights: channel (default) | tensor, the w8 scale granularity
//   range_restriction: none (default) | o32 | o8 | both: clamp to the calibrated range (what-if)
//   protection: {scheme: tmr|secded|parity, modules: all|[i8, ...], layers: all|[weights]}: the
//            guarded modules (quant/guard.h): a what-if whose faults are the unprotected run's
// The common keys layers (which layers' modules are fault sites) apply; format must be fp32 (the
// float model that is quantised), fault_model flip (single-bit upsets), bits all.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "campaign/kind.h"
#include "data/loader.h"
#include "data/spec.h"
#include "eval/evaluate.h"
#include "eval/metrics.h"
#include "quant/guard.h"
#include "quant/model.h"
#include "util/error.h"
#include "util/strings.h"

namespace cnnfi::campaign {

namespace {

struct QuantizedOptions : KindOptions {
  int repetitions = 3;
  std::vector<int64_t> schedule = {0, 1, 2, 5, 10, 20, 50, 100};
  std::vector<quant::ModuleSet> modules = {quant::ModuleSet::all()};
  std::string calibration = "fashion-mnist:train";
  int64_t calibration_images = 500;
  quant::QuantConfig quant;
  std::unique_ptr<TrialEvaluator> make_evaluator(const EvaluatorContext& ctx) const override;
  std::vector<std::string> inputs() const override { return data::spec_files(calibration); }
};

std::string point_of(const quant::ModuleSet& m, int64_t n) { return fmt::format("modules={} faults={}", m.name(), n); }

class QuantEvaluator : public TrialEvaluator {
 public:
  QuantEvaluator(const QuantizedOptions& o, const EvaluatorContext& ctx)
      : ctx_(ctx), model_(ctx.exec, o.quant) {
    const auto& c = ctx.config;
    if (c.format != "fp32") fail("{}: kind 'quantized' quantises the float model itself: remove key 'format'", c.file);
    if (c.fault_model.stuck_at_pairs || c.fault_model.model != fault::FaultModel::flip)
      fail("{}: kind 'quantized' injects single-bit upsets: remove key 'fault_model'", c.file);
    if (c.bits != "all") fail("{}: kind 'quantized' draws from every bit of its modules: remove key 'bits'", c.file);
    if (c.layout.packed()) fail("{}: kind 'quantized' flips bits of its modules' words: remove key 'layout'", c.file);
    if (model_.layers().empty()) fail("{}: no Conv, Gemm or MatMul with a weight initializer to quantise", c.model);
    // FP32 accuracy on the evaluated images, before the integer kernels go in.
    data::Loader fl(ctx.source, ctx.pre, ctx.batch);
    const double fp32 = eval::evaluate(ctx.exec, fl, "").top1();
    data::DataSelection sel;
    sel.limit = o.calibration_images;
    auto calib = data::open_spec(o.calibration, sel, ctx.pre.resize_h, ctx.pre.resize_w);
    model_.calibrate(*calib, ctx.pre, std::min<int64_t>(ctx.batch, 256));
    // Fault sites: the modules of the selected layers.
    std::vector<bool> site(model_.layers().size(), c.layers.all());
    if (!c.layers.all()) {
      const auto& all = model_.layers();
      std::vector<std::string> weights;
      for (const auto& l : all) weights.push_back(l.weight);
      for (const auto& name : c.layers.names) {
        const auto it = std::find(weights.begin(), weights.end(), name);
        if (it == weights.end()) fail("{}: key 'layers': '{}' is not a quantised layer's weight; they are: {}", c.file, name, join(weights, ", "));
        site[static_cast<size_t>(it - weights.begin())] = true;
      }
      if (!c.layers.regex.empty()) fail("{}: key 'layers': kind 'quantized' takes a list of weight names", c.file);
    }
    try {
      guard_ = quant::ModuleGuard(model_, c.protection);
    } catch (const Error& e) {
      fail("{}: key 'protection': {}", c.file, e.what());
    }
    nlohmann::json sets = nlohmann::json::array();
    for (size_t s = 0; s < o.modules.size(); ++s) {
      samplers_.emplace_back(model_, o.modules[s], site);
      sets.push_back({{"name", o.modules[s].name()}, {"bits", samplers_.back().bits()}});
      for (int64_t n : o.schedule) points_[point_of(o.modules[s], n)] = {s, n};
    }
    if (ctx.meta) {
      // What runs is the integer network: the store is labelled with its weights' format.
      ctx.meta->format = o.quant.per_channel ? "int8-channel" : "int8";
      nlohmann::json layers = nlohmann::json::array();
      for (size_t i = 0; i < model_.layers().size(); ++i) {
        const auto& l = model_.layers()[i];
        nlohmann::json bits = nlohmann::json::object();
        for (auto m : quant::kAllModules) bits[quant::to_string(m)] = l.bits(m);
        layers.push_back({{"name", l.name}, {"weight", l.weight}, {"s_in", l.s_in}, {"s_out", l.s_out},
                          {"folded_bn", l.folded_bn >= 0}, {"fault_site", site[i] ? true : false}, {"bits", bits}});
      }
      ctx.meta->extra["quantized"] =
          nlohmann::json{{"fp32_top1", fp32},
                         {"calibration", calib->describe()},
                         {"calibration_images", calib->size()},
                         {"weights", o.quant.per_channel ? "channel" : "tensor"},
                         {"range_restriction", o.quant.clamp_o32 ? (o.quant.clamp_o8 ? "both" : "o32") : o.quant.clamp_o8 ? "o8" : "none"},
                         {"layers", layers},
                         {"sets", sets}}
              .dump();
      if (guard_.any()) {
        nlohmann::json guarded = nlohmann::json::array();
        for (const auto& p : c.protection)
          guarded.push_back({{"scheme", fault::to_string(p.scheme)}, {"modules", p.modules}, {"layers", p.layers.describe()}});
        ctx.meta->extra["protection"] =
            nlohmann::json{{"guarded", guarded}, {"overhead_bits", guard_.overhead_bits(model_)},
                           {"per", "forward pass"}}
                .dump();
      }
    }
  }
  bool applies_protection() const override { return true; }

  const std::vector<uint8_t>& golden_facts() override {
    if (facts_.empty()) {
      data::Loader loader(ctx_.source, ctx_.pre, ctx_.batch);
      data::Batch b;
      while (loader.next(b)) {
        const at::Tensor logits = ctx_.exec.forward(b.images);
        eval::check_labels(logits, b.labels, b.start, ctx_.exec.graph().file);
        const GoldenBatch g = make_golden(logits, b.labels);
        append_facts(logits, g, facts_);
        const at::Tensor t1 = g.top1.contiguous(), lab = b.labels.contiguous();
        top1_.insert(top1_.end(), t1.data_ptr<int64_t>(), t1.data_ptr<int64_t>() + t1.numel());
        labels_.insert(labels_.end(), lab.data_ptr<int64_t>(), lab.data_ptr<int64_t>() + lab.numel());
      }
    }
    return facts_;
  }
  const std::vector<int64_t>& golden_top1() override { golden_facts(); return top1_; }
  const std::vector<int64_t>& labels() override { golden_facts(); return labels_; }

  std::vector<TrialResult> run_plans(const std::vector<const store::TrialPlan*>& trials) override {
    std::vector<TrialResult> results(trials.size());
    std::vector<std::pair<size_t, int64_t>> what;
    for (const auto* t : trials) {
      const auto it = points_.find(t->point);
      if (it == points_.end()) fail("{}: trial {} has point '{}', which this campaign does not plan", ctx_.config.file, t->trial, t->point);
      what.push_back(it->second);
    }
    data::Loader loader(ctx_.source, ctx_.pre, ctx_.batch);
    data::Batch b;
    while (loader.next(b)) {
      const int64_t count = b.labels.size(0);
      model_.disarm();
      const GoldenBatch golden = make_golden(ctx_.exec.forward(b.images), b.labels);
      for (size_t k = 0; k < trials.size(); ++k) {
        const auto& [set, n] = what[k];
        if (n == 0) {
          append_facts(golden.logits, golden, results[k].facts);
          continue;
        }
        const uint64_t seed = trial_seed(ctx_.config.seed, static_cast<uint64_t>(trials[k]->trial), 0);
        std::vector<quant::Fault> faults;
        std::vector<bool> detected(static_cast<size_t>(count), false);
        for (int64_t i = b.start; i < b.start + count; ++i) {
          bool due = false;
          auto f = guard_.apply(samplers_[set].draw(n, seed, i), due);
          detected[static_cast<size_t>(i - b.start)] = due;
          faults.insert(faults.end(), f.begin(), f.end());
        }
        model_.arm(faults, b.start, count);
        const at::Tensor logits = ctx_.exec.forward(b.images);
        model_.disarm();
        const size_t from = results[k].facts.size();
        append_facts(logits, golden, results[k].facts);
        for (size_t j = 0; j < detected.size(); ++j)
          if (detected[j]) results[k].facts[from + j] |= kDetected;
      }
    }
    return results;
  }

 private:
  EvaluatorContext ctx_;
  quant::QuantizedModel model_;
  quant::ModuleGuard guard_;
  std::vector<quant::FaultSampler> samplers_;
  std::map<std::string, std::pair<size_t, int64_t>> points_;
  std::vector<uint8_t> facts_;
  std::vector<int64_t> top1_, labels_;
};

std::unique_ptr<TrialEvaluator> QuantizedOptions::make_evaluator(const EvaluatorContext& ctx) const {
  return std::make_unique<QuantEvaluator>(*this, ctx);
}

}  // namespace

std::shared_ptr<KindOptions> parse_quantized(const Keys& k) {
  auto o = std::make_shared<QuantizedOptions>();
  o->repetitions = static_cast<int>(k.integer_or("repetitions", 1, 1000000, 3));
  if (k.has("schedule")) {
    const auto& s = k.root()["schedule"];
    if (!s.IsSequence() || s.size() == 0 || s.size() > 1000) k.bad("schedule", "expected a list of 1 to 1,000 fault counts");
    o->schedule.clear();
    for (const auto& x : s) o->schedule.push_back(k.integer(x, "schedule", 0, 1000000));
  }
  if (k.has("modules")) {
    const auto& m = k.root()["modules"];
    if (!m.IsSequence() || m.size() == 0 || m.size() > 32) k.bad("modules", "expected a list of module sets such as [all, i8, b32]");
    o->modules.clear();
    for (const auto& x : m) {
      const std::string s = k.scalar(x, "modules", "a module set");
      try {
        o->modules.push_back(quant::ModuleSet::parse(s));
      } catch (const Error& e) {
        k.bad("modules", e.what());
      }
    }
  }
  if (k.has("calibration")) o->calibration = resolve_data_paths(k.text("calibration"), k.file());
  o->calibration_images = k.integer_or("calibration_images", 1, 1000000, 500);
  if (k.has("weights")) {
    const std::string w = k.text("weights");
    if (w != "channel" && w != "tensor") k.bad("weights", "'" + w + "' is not channel or tensor");
    o->quant.per_channel = w == "channel";
  }
  if (k.has("range_restriction")) {
    const std::string r = k.text("range_restriction");
    if (r != "none" && r != "o32" && r != "o8" && r != "both") k.bad("range_restriction", "'" + r + "' is not none, o32, o8 or both");
    o->quant.clamp_o32 = r == "o32" || r == "both";
    o->quant.clamp_o8 = r == "o8" || r == "both";
  }
  return o;
}

std::vector<store::TrialPlan> plan_quantized(const PlanInput& in) {
  const auto& o = in.config.kind_options<QuantizedOptions>();
  std::vector<store::TrialPlan> out;
  in.check_plan_size(static_cast<int64_t>(o.modules.size() * o.schedule.size()) * o.repetitions, 0);
  for (const auto& m : o.modules)
    for (int64_t n : o.schedule)
      for (int rep = 0; rep < o.repetitions; ++rep) {
        store::TrialPlan t;
        t.point = point_of(m, n);
        t.x = static_cast<double>(n);
        t.rep = rep;
        out.push_back(std::move(t));
      }
  return out;
}

}  // namespace cnnfi::campaign
