// cnnfi plan: how many faults a statistical campaign must inject (seed 004), per weighted layer
// and, for per-bit methods, per bit: network-wise, layer-wise, data-unaware, data-aware.
#include <cstdio>
#include <regex>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "exec/executor.h"
#include "fault/generate.h"
#include "fault/injector.h"
#include "fault/population.h"
#include "onnx/import.h"
#include "repr/format.h"
#include "stats/data_aware.h"
#include "stats/sample_size.h"
#include "util/error.h"

namespace cnnfi::cli {

namespace {

struct PlanOptions {
  std::string model, format = "fp32", fault_model = "sa", bits = "all", layers, method, p_rule;
  double error = 0.01, confidence = 0.99, t = 0;
  bool json = false;
};

void run_plan(const PlanOptions& o) {
  if (o.method != "network" && o.method != "layer" && o.method != "data-unaware" && o.method != "data-aware")
    fail("--method '{}': allowed values are network, layer, data-unaware, data-aware", o.method);
  if (!o.p_rule.empty() && o.method != "data-aware") fail("--p-rule is for --method data-aware");
  if (o.fault_model != "sa" && o.fault_model != "flip") fail("--fault-model '{}': allowed values are sa, flip", o.fault_model);
  exec::Executor ex(onnx_io::load_model(o.model));
  const auto& format = repr::find_format(o.format);
  fault::WeightInjector inj(ex, format);
  const auto layers = o.layers.empty() ? fault::weight_tensors(inj, ex) : fault::select_layers(inj, o.layers);
  const auto bits = fault::select_bits(inj, layers.at(0), o.bits);
  const int64_t per_fault = o.fault_model == "sa" ? 2 : 1;
  std::vector<int64_t> pops;
  for (const auto& l : layers) pops.push_back(inj.numel(l) * static_cast<int64_t>(bits.size()) * per_fault);
  const stats::SampleSpec spec{o.error, o.t > 0 ? o.t : stats::t_for_confidence(o.confidence)};
  std::vector<double> bit_p(bits.size(), 0.5);
  std::vector<stats::BitCriticality> crit;
  const auto rule = o.p_rule.empty() ? stats::default_p_rule(format) : stats::parse_p_rule(o.p_rule);
  if (o.method == "data-aware") {
    std::vector<at::Tensor> golden;
    for (const auto& l : layers) golden.push_back(ex.weight(l));
    crit = stats::data_aware_p(golden, format, rule);
    for (size_t i = 0; i < bits.size(); ++i) bit_p[i] = crit.at(static_cast<size_t>(bits[i])).p;
  }
  const stats::Plan plan = o.method == "network"        ? stats::plan_network(layers, pops, spec)
                           : o.method == "layer"        ? stats::plan_layer(layers, pops, spec)
                           : o.method == "data-unaware" ? stats::plan_data_unaware(layers, pops, static_cast<int>(bits.size()), spec)
                                                        : stats::plan_data_aware(layers, pops, bit_p, spec);
  if (o.json) {
    nlohmann::json j = {{"method", o.method},           {"model", o.model},
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
  std::printf("%s plan for %s (%s, %s faults, e = %g, t = %g%s)\n", o.method.c_str(), o.model.c_str(), o.format.c_str(),
              o.fault_model == "sa" ? "stuck-at" : "bit-flip", o.error, spec.t,
              crit.empty() ? "" : (", p rule " + stats::to_string(rule)).c_str());
  if (!crit.empty()) {
    std::printf("%4s %8s %8s %12s %12s %12s %8s\n", "bit", "f0", "f1", "D0->1", "D1->0", "D_avg", "p");
    for (int b : bits) {
      const auto& c = crit[static_cast<size_t>(b)];
      std::printf("%4d %8.4f %8.4f %12.4g %12.4g %12.4g %8.5f  %s\n", b, c.f0, c.f1, c.d01, c.d10, c.d_avg, c.p,
                  c.source.c_str());
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
  sub->add_option("--method", o->method, "network | layer | data-unaware | data-aware")->required();
  sub->add_option("--format", o->format, "number format of the weights (default fp32)");
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
  sub->callback([o] { run_plan(*o); });
}

}  // namespace cnnfi::cli
