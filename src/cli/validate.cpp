// cnnfi validate: checks statistical plans against an exhaustive store (seed 004, Table III and
// Fig. 5-6). For each method and each of k independent samples, every stratum's faults are
// drawn exactly as an sfi campaign would draw them (campaign/sfi_plan.h, the same permutation
// prefixes) and their outcomes read from the exhaustive results: each fault is evaluated alone
// and deterministically, so this equals running the sfi campaign. Reports, per method, n, the %
// of the population, the average per-layer error margin, how often each layer's exhaustive
// critical rate lies inside its sampled margin, and how often that margin meets the requested e.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "campaign/config.h"
#include "campaign/estimates.h"
#include "campaign/kind.h"
#include "campaign/sfi_plan.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "fault/population.h"
#include "onnx/import.h"
#include "repr/format.h"
#include "stats/data_aware.h"
#include "stats/sample_size.h"
#include "stats/stratified.h"
#include "store/store.h"
#include "util/error.h"
#include "util/file.h"
#include "util/strings.h"

namespace cnnfi::cli {

namespace {

struct ValidateOptions {
  std::string store, methods = "network,layer,data-unaware,data-aware,adaptive", criticality = "pairs", nonfinite, json;
  int samples = 10;
  double error = 0.01, confidence = 0.99, t = 0;
  uint64_t seed = 1;
};

struct MethodResult {
  std::string method;
  double n = 0;  ///< mean over samples
  int64_t N = 0;
  double margin = 0;  ///< mean over layers and samples
  int64_t layer_samples = 0, inside = 0, within_e = 0;
  std::vector<double> layer_p, layer_margin;  ///< per layer, means over samples
};

void run_validate(const ValidateOptions& o) {
  if (o.samples < 1) fail("--samples {}: must be at least 1", o.samples);
  refuse_overwrite(o.json, store_inputs({o.store}), "--json");
  store::Store st(o.store, store::OpenMode::read);
  const auto meta = st.meta();
  if (meta.kind != "exhaustive")
    fail("{}: not an exhaustive campaign but a {} one (validate compares sampled plans with an exhaustive one)", o.store,
         meta.kind);
  if (!meta.complete()) fail("{}: the exhaustive campaign has not finished (run it with --resume)", o.store);
  auto cfg = campaign::parse_campaign(meta.config_yaml, meta.config_file);
  cfg.model = meta.model;
  if (!(o.confidence >= 0.5 && o.confidence < 1)) fail("--confidence {}: must be in [0.5, 1)", o.confidence);
  if (!(o.t >= 0 && o.t <= 100)) fail("--t {}: must be in (0, 100]", o.t);
  const double t = o.t > 0 ? o.t : stats::t_for_confidence(o.confidence);
  exec::Executor ex(onnx_io::load_model(cfg.model));
  fault::WeightInjector inj(ex, repr::find_format(fault::resolve_format(cfg.format, ex.graph())));
  const auto pops = fault::populations(inj, ex, cfg.layers, cfg.bits, cfg.fault_model);
  const auto policy = campaign::parse_nonfinite(o.nonfinite.empty() ? meta.nonfinite : o.nonfinite);
  const auto crit = campaign::parse_criticality(o.criticality);

  // Every unit's criticality, per layer in the population's bit-major unit order.
  std::map<std::string, size_t> layer_of;
  for (size_t l = 0; l < pops.size(); ++l) layer_of[pops[l].param] = l;
  std::vector<std::vector<double>> units(pops.size());
  for (size_t l = 0; l < pops.size(); ++l) units[l].assign(static_cast<size_t>(pops[l].size()), -1.0);
  // Streamed: one double per fault of the population is all that stays in memory.
  st.for_each_trial(
      [&](const store::TrialRow& row, const std::vector<fault::WeightFault>& faults) {
        // Every row read back is checked against the population before it indexes anything.
        if (faults.size() != 1)
          fail("{}: trial {} holds {} faults; an exhaustive trial holds one", o.store, row.trial, faults.size());
        const auto& f = faults[0];
        const auto it = layer_of.find(f.param);
        if (it == layer_of.end())
          fail("{}: trial {} faults '{}', which is not a layer of the campaign's population", o.store, row.trial, f.param);
        const auto l = it->second;
        const auto& p = pops[l];
        const auto bi = static_cast<int64_t>(std::find(p.bits.begin(), p.bits.end(), f.bit) - p.bits.begin());
        const bool model_ok = p.both_stuck_at ? (f.model == fault::FaultModel::stuck_at_0 || f.model == fault::FaultModel::stuck_at_1)
                                              : f.model == p.model;
        if (bi >= static_cast<int64_t>(p.bits.size()) || f.flat_index >= p.weights || !model_ok)
          fail("{}: trial {} (bit {}, index {}, {}) lies outside the population of '{}' ({} weights)", o.store,
               row.trial, f.bit, f.flat_index, fault::to_string(f.model, f.burst), f.param, p.weights);
        const int64_t v = f.flat_index * p.per_weight_bit() + (f.model == fault::FaultModel::stuck_at_1 ? 1 : 0);
        if (!row.done) fail("{}: trial {} has no result; was the exhaustive campaign complete?", o.store, row.trial);
        units[l][static_cast<size_t>(bi * p.per_bit() + v)] = campaign::trial_criticality(row.facts, policy, crit);
      },
      true);
  std::vector<double> exact(pops.size());
  int64_t total_N = 0;
  for (size_t l = 0; l < pops.size(); ++l) {
    double s = 0;
    for (double u : units[l]) {
      if (u < 0) fail("{}: layer {} is missing faults; was the exhaustive campaign complete?", o.store, pops[l].param);
      s += u;
    }
    exact[l] = s / static_cast<double>(units[l].size());
    total_N += pops[l].size();
  }

  std::vector<MethodResult> results;
  for (const auto& m : split(o.methods, ',')) {
    MethodResult r;
    r.method = trim(m);
    r.N = total_N;
    r.layer_p.assign(pops.size(), 0);
    r.layer_margin.assign(pops.size(), 0);
    campaign::SfiOptions mc;
    mc.error = o.error;
    mc.confidence = o.confidence;
    mc.t_given = o.t;
    mc.crit = crit;
    const auto colon = r.method.find(':');
    try {
      mc.method = campaign::parse_sfi_method(r.method.substr(0, colon));
      if (colon != std::string::npos) {
        if (mc.method != campaign::SfiMethod::data_aware) fail("only data-aware takes a p rule");
        mc.p_rule = stats::parse_p_rule(r.method.substr(colon + 1));
      }
    } catch (const Error& e) {
      fail("--methods: '{}': {}", r.method, e.what());
    }
    const auto strata = campaign::sfi_strata(mc, pops, inj, ex);
    for (int k = 0; k < o.samples; ++k) {
      std::vector<std::vector<stats::Stratum>> by_layer(pops.size());
      int64_t n_total = 0;
      for (size_t i = 0; i < strata.size(); ++i) {
        const auto& s = strata[i];
        const auto& p = pops[s.pop];
        const int64_t offset = s.bit >= 0 ? static_cast<int64_t>(s.bit_index) * p.per_bit() : 0;
        const uint64_t seed = campaign::trial_seed(o.seed + static_cast<uint64_t>(k), i, 0);
        auto observe = [&](int64_t n) {
          double sum = 0;
          for (int64_t u : fault::permutation_prefix(s.N, n, seed)) sum += units[s.pop][static_cast<size_t>(offset + u)];
          return n ? sum / static_cast<double>(n) : 0.0;
        };
        int64_t n = s.n;
        double phat = observe(n);
        if (mc.method == campaign::SfiMethod::adaptive)
          for (int64_t next; (next = stats::adaptive_next(s.N, n, phat, o.error, t)) > n;) phat = observe(n = next);
        by_layer[s.pop].push_back({s.N, n, phat});
        n_total += n;
      }
      r.n += static_cast<double>(n_total) / o.samples;
      for (size_t l = 0; l < pops.size(); ++l) {
        const auto e = stats::combine(by_layer[l], t);
        r.layer_p[l] += e.p / o.samples;
        r.layer_margin[l] += e.margin / o.samples;
        r.margin += e.margin;
        ++r.layer_samples;
        r.inside += std::fabs(e.p - exact[l]) <= e.margin + 1e-12;
        r.within_e += e.margin <= o.error + 1e-12;
      }
    }
    r.margin /= static_cast<double>(r.layer_samples);
    results.push_back(r);
  }

  std::printf("validation of %s: %zu layers, N = %lld, %d samples per method, e = %g, t = %g, criticality %s, "
              "non-finite %s\n",
              o.store.c_str(), pops.size(), static_cast<long long>(total_N), o.samples, o.error, t, crit.name().c_str(),
              campaign::to_string(policy).c_str());
  std::printf("%-20s %12s %9s %13s %14s %14s\n", "method", "n (mean)", "% of N", "avg margin %", "inside margin",
              "margin <= e");
  for (const auto& r : results)
    std::printf("%-20s %12.0f %9.3f %13.4f %13.1f%% %13.1f%%\n", r.method.c_str(), r.n, 100.0 * r.n / r.N,
                100.0 * r.margin, 100.0 * r.inside / r.layer_samples, 100.0 * r.within_e / r.layer_samples);
  std::printf("\nper layer: exhaustive critical rate %%, then each method's mean estimate %% +- mean margin %%\n");
  std::printf("%-30s %10s", "layer", "exhaustive");
  for (const auto& r : results) std::printf(" %22s", r.method.c_str());
  std::printf("\n");
  for (size_t l = 0; l < pops.size(); ++l) {
    std::printf("%-30s %10.4f", pops[l].param.c_str(), 100.0 * exact[l]);
    for (const auto& r : results) std::printf("   %9.4f +- %8.4f", 100.0 * r.layer_p[l], 100.0 * r.layer_margin[l]);
    std::printf("\n");
  }
  if (!o.json.empty()) {
    nlohmann::json j = {{"store", o.store}, {"N", total_N}, {"samples", o.samples}, {"error", o.error}, {"t", t},
                        {"criticality", crit.name()}, {"nonfinite", campaign::to_string(policy)}};
    j["layers"] = nlohmann::json::array();
    for (size_t l = 0; l < pops.size(); ++l) j["layers"].push_back({{"name", pops[l].param}, {"N", pops[l].size()}, {"exhaustive_p", exact[l]}});
    j["methods"] = nlohmann::json::array();
    for (const auto& r : results)
      j["methods"].push_back({{"method", r.method}, {"n", r.n}, {"fraction", r.n / r.N}, {"avg_margin", r.margin},
                              {"inside", static_cast<double>(r.inside) / r.layer_samples},
                              {"within_e", static_cast<double>(r.within_e) / r.layer_samples},
                              {"layer_p", r.layer_p}, {"layer_margin", r.layer_margin}});
    write_file_atomic(o.json, j.dump(2) + "\n");
  }
}

}  // namespace

void setup_validate(CLI::App& app) {
  auto o = std::make_shared<ValidateOptions>();
  auto* sub = app.add_subcommand("validate", "check statistical plans against an exhaustive store (seed 004 Table III)");
  sub->add_option("store", o->store, "store of a finished exhaustive campaign")->required()->check(CLI::ExistingFile);
  sub->add_option("--methods", o->methods, "comma list of network, layer, data-unaware, data-aware[:P_RULE], adaptive");
  sub->add_option("--samples", o->samples, "independent samples per method (default 10)");
  sub->add_option("--error", o->error, "requested error margin e (default 0.01)");
  sub->add_option("--confidence", o->confidence, "confidence (default 0.99 -> t = 2.58)");
  sub->add_option("--t", o->t, "t, overriding --confidence");
  sub->add_option("--seed", o->seed, "seed of the first sample (default 1)");
  sub->add_option("--criticality", o->criticality, "pairs (default) | any | fraction:X");
  sub->add_option("--nonfinite", o->nonfinite, "due | top1 | torch (default: as run)");
  sub->add_option("--json", o->json, "also write the results as JSON to this file");
  sub->callback([o] { run_validate(*o); });
}

}  // namespace cnnfi::cli
