// cnnfi plan: how many faults a statistical campaign must inject (seed 004), per weighted layer
// and, for per-bit methods, per bit: network-wise, layer-wise, data-unaware, data-aware.
#include <cstdio>
#include <regex>

#include <nlohmann/json.hpp>

#include "campaign/config.h"
#include "campaign/sfi_plan.h"
#include "cli/commands.h"
#include "exec/executor.h"
#include "fault/generate.h"
#include "fault/injector.h"
#include "fault/population.h"
#include "onnx/import.h"
#include "repr/format.h"
#include "stats/data_aware.h"
#include "stats/sample_size.h"
#include "stats/stratified.h"
#include "util/error.h"

namespace cnnfi::cli {

namespace {

struct PlanOptions {
  std::string model, format, fault_model = "sa", bits = "all", layers, method = "data-unaware", p_rule;
  double error = 0.01, confidence = 0.99, t = 0;
  bool json = false;
  std::vector<std::string> defaults;  ///< the defaults taken for options left out, said before the plan
};

void run_plan(PlanOptions o) {
  campaign::SfiOptions c;
  try {
    c.method = campaign::parse_sfi_method(o.method);
    if (c.method == campaign::SfiMethod::adaptive)
      fail("adaptive sampling has no fixed plan: each stratum starts at {} faults and grows until its margin is met",
           stats::kAdaptiveFirstRound);
  } catch (const Error& e) {
    fail("--method '{}': {}", o.method, e.what());
  }
  if (!o.p_rule.empty() && c.method != campaign::SfiMethod::data_aware) fail("--p-rule is for --method data-aware");
  fault::FaultModelChoice fault_model;
  try {
    fault_model = fault::parse_fault_model_choice(o.fault_model);
  } catch (const Error& e) {
    fail("--fault-model: {}", e.what());
  }
  if (!(o.error > 0 && o.error < 1)) fail("--error {}: must be in (0, 1)", o.error);
  if (!(o.confidence >= 0.5 && o.confidence < 1)) fail("--confidence {}: must be in [0.5, 1)", o.confidence);
  if (!(o.t >= 0 && o.t <= 100)) fail("--t {}: must be in (0, 100]", o.t);
  if (!(o.t >= 0 && o.t <= 100)) fail("--t {}: must be in (0, 100]", o.t);
  c.error = o.error;
  c.confidence = o.confidence;
  c.t_given = o.t;
  if (!o.p_rule.empty()) c.p_rule = stats::parse_p_rule(o.p_rule);
  exec::Executor ex(onnx_io::load_model(o.model));
  o.format = fault::resolve_format(o.format, ex.graph());
  const auto& format = repr::find_format(o.format);
  fault::WeightInjector inj(ex, format);
  const auto pops = fault::populations(inj, ex, fault::LayerSelection::parse(o.layers), o.bits, fault_model);
  if (pops.empty()) fail("{}: the model has no weighted layer (Conv, ConvTranspose, Gemm, MatMul weights)", o.model);
  const auto sp = campaign::sample_plan(c, pops, inj, ex);
  const auto& plan = sp.plan;
  const auto& crit = sp.criticality;
  const auto& bits = pops[0].bits;
  const auto rule = sp.rule;
  const stats::SampleSpec spec{c.error, c.t()};
  std::vector<double> bit_p(bits.size(), 0.5);
  if (!crit.empty())
    for (size_t i = 0; i < bits.size(); ++i) bit_p[i] = crit.at(static_cast<size_t>(bits[i])).p;
  std::vector<std::string> defaults = o.defaults;
  if (c.method == campaign::SfiMethod::data_aware && o.p_rule.empty())
    defaults.push_back("p rule " + stats::to_string(rule) + " (authors for fp32 weights, fence otherwise)");
  if (!defaults.empty()) {
    std::string all;
    for (const auto& d : defaults) all += (all.empty() ? "" : "; ") + d;
    std::fprintf(stderr, "cnnfi plan: defaults for options left out (the sfi kind's too): %s\n", all.c_str());
  }
  std::fprintf(stderr,
               "cnnfi plan: this is the first round; an sfi campaign with top_up: true (its default) then samples "
               "further every stratum whose achieved margin exceeds e = %g\n",
               o.error);
  if (o.json) {
    nlohmann::json j = {{"method", o.method},           {"model", o.model},
                        {"defaults", defaults},
                        {"p_rule", crit.empty() ? nlohmann::json() : nlohmann::json(stats::to_string(rule))},
                        {"format", o.format},           {"fault_model", o.fault_model},
                        {"error", o.error},             {"t", spec.t},
                        {"total_N", plan.total_population}, {"total_n", plan.total_sample},
                        {"fraction", plan.total_population ? double(plan.total_sample) / plan.total_population : 0}};
    j["layers"] = nlohmann::json::array();
    for (const auto& l : plan.layers) {
      nlohmann::json jl = {{"name", l.name}, {"N", l.population}, {"n", l.sample}};
      if (!l.bit_sample.empty()) {
        jl["bits"] = nlohmann::json::array();
        for (size_t i = 0; i < bits.size(); ++i)
          jl["bits"].push_back({{"bit", bits[i]}, {"N", l.bit_population[i]}, {"n", l.bit_sample[i]}, {"p", bit_p[i]},
                                {"p_source", crit.empty() ? std::string("p = 0.5 (") + o.method + ")"
                                                          : crit.at(static_cast<size_t>(bits[i])).source}});
      }
      j["layers"].push_back(jl);
    }
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("%s plan for %s (%s, fault model %s, e = %g, t = %g%s)\n", o.method.c_str(), o.model.c_str(),
              o.format.c_str(), fault_model.name().c_str(), o.error, spec.t,
              crit.empty() ? "" : (", p rule " + stats::to_string(rule)).c_str());
  if (!crit.empty()) {
    std::printf("%4s %8s %8s %12s %12s %12s %8s\n", "bit", "f0", "f1", "D0->1", "D1->0", "D_avg", "p");
    for (int b : bits) {
      const auto& bc = crit[static_cast<size_t>(b)];
      std::printf("%4d %8.4f %8.4f %12.4g %12.4g %12.4g %8.5f  %s\n", b, bc.f0, bc.f1, bc.d01, bc.d10, bc.d_avg, bc.p,
                  bc.source.c_str());
    }
  }
  std::printf("%-36s %14s %10s\n", "layer", "N", "n");
  for (const auto& l : plan.layers)
    std::printf("%-36s %14lld %10lld\n", l.name.c_str(), static_cast<long long>(l.population), static_cast<long long>(l.sample));
  std::printf("%-36s %14lld %10lld  (%.3f %% of the population)\n", "total", static_cast<long long>(plan.total_population),
              static_cast<long long>(plan.total_sample),
              plan.total_population ? 100.0 * plan.total_sample / plan.total_population : 0.0);
}

}  // namespace

void setup_plan(CLI::App& app) {
  auto o = std::make_shared<PlanOptions>();
  auto* sub = app.add_subcommand("plan", "statistical fault-injection sample sizes per layer and bit (seed 004)");
  sub->add_option("--model", o->model, "ONNX model")->required();
  sub->add_option("--method", o->method, "network | layer | data-unaware (default, as the sfi kind) | data-aware");
  sub->add_option("--format", o->format, "number format of the weights (default: the model's own integer storage when it has one, else fp32)");
  sub->add_option("--fault-model", o->fault_model, "sa (stuck-at: population x 2, default) | flip");
  sub->add_option("--bits", o->bits, "bits: all | list | range | field");
  sub->add_option("--layers", o->layers, "layers (default: every Conv/Gemm/MatMul weight)");
  {
    std::string rules;
    for (const auto& r : stats::p_rules()) rules += (rules.empty() ? "" : " | ") + std::string(r.name);
    sub->add_option("--p-rule", o->p_rule, "data-aware p per bit: " + rules + " (default: authors for fp32, fence otherwise)");
  }
  sub->add_option("--error", o->error, "error margin e (default 0.01)");
  sub->add_option("--confidence", o->confidence, "confidence (default 0.99 -> t = 2.58)");
  sub->add_option("--t", o->t, "t, overriding --confidence");
  sub->add_flag("--json", o->json, "one JSON object: total_N, total_n, layers[{name, N, n, bits[{bit, N, n, p, p_source}]}]");
  sub->callback([o, sub] {
    o->defaults.clear();
    if (!sub->count("--method")) o->defaults.push_back("method data-unaware");
    if (!sub->count("--fault-model")) o->defaults.push_back("fault model sa (both stuck-ats per bit, seed 004)");
    if (!sub->count("--error")) o->defaults.push_back("error 0.01");
    if (!sub->count("--confidence") && !sub->count("--t")) o->defaults.push_back("confidence 0.99 (t 2.58)");
    run_plan(*o);
  });
}

}  // namespace cnnfi::cli
