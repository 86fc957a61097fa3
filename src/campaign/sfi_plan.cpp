#include "campaign/sfi_plan.h"

#include <fmt/format.h>

#include "stats/data_aware.h"
#include "stats/stratified.h"
#include "util/error.h"

namespace cnnfi::campaign {

namespace {
const std::pair<SfiMethod, const char*> kMethods[] = {{SfiMethod::network, "network"},
                                                      {SfiMethod::layer, "layer"},
                                                      {SfiMethod::data_unaware, "data-unaware"},
                                                      {SfiMethod::data_aware, "data-aware"},
                                                      {SfiMethod::adaptive, "adaptive"}};
}  // namespace

std::string to_string(SfiMethod m) {
  for (const auto& [v, name] : kMethods)
    if (v == m) return name;
  return "?";
}

SfiMethod parse_sfi_method(const std::string& s) {
  std::string names;
  for (const auto& [v, name] : kMethods) {
    if (s == name) return v;
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  fail("method '{}' is not one of {}", s, names);
}

double SfiOptions::t() const { return t_given > 0 ? t_given : stats::t_for_confidence(confidence); }

SamplePlan sample_plan(const SfiOptions& c, const std::vector<fault::Population>& pops, const fault::WeightInjector& inj,
                       const exec::Executor& exec) {
  if (pops.empty()) fail("sfi: no layer selected");
  std::vector<std::string> names;
  std::vector<int64_t> sizes;
  for (const auto& p : pops) {
    if (p.bits != pops[0].bits) fail("sfi: every layer must have the same bits (per-bit strata)");
    names.push_back(p.param);
    sizes.push_back(p.size());
  }
  const stats::SampleSpec spec{c.error, c.t()};
  SamplePlan out;
  switch (c.method) {
    case SfiMethod::network: out.plan = stats::plan_network(names, sizes, spec); break;
    case SfiMethod::layer: out.plan = stats::plan_layer(names, sizes, spec); break;
    case SfiMethod::data_aware: {
      std::vector<at::Tensor> golden;
      std::vector<repr::Params> params;
      for (const auto& p : pops) {
        golden.push_back(exec.weight(p.param));
        params.push_back(inj.params_of(p.param));
      }
      out.rule = c.p_rule.value_or(stats::default_p_rule(inj.format()));
      out.criticality = stats::data_aware_p(golden, inj.format(), out.rule, params);
      std::vector<double> bit_p;
      for (int b : pops[0].bits) bit_p.push_back(out.criticality.at(static_cast<size_t>(b)).p);
      out.plan = stats::plan_data_aware(names, sizes, bit_p, spec);
      break;
    }
    case SfiMethod::data_unaware:
    case SfiMethod::adaptive:
      out.plan = stats::plan_data_unaware(names, sizes, static_cast<int>(pops[0].bits.size()), spec);
      break;
  }
  return out;
}

std::vector<SfiStratum> sfi_strata(const SfiOptions& c, const std::vector<fault::Population>& pops,
                                   const fault::WeightInjector& inj, const exec::Executor& exec) {
  const stats::Plan plan = sample_plan(c, pops, inj, exec).plan;
  std::vector<SfiStratum> out;
  for (size_t l = 0; l < pops.size(); ++l) {
    const auto& lp = plan.layers.at(l);
    if (lp.bit_sample.empty()) {
      out.push_back({fmt::format("layer={}", pops[l].param), pops[l].param, -1, l, 0, pops[l].size(), lp.sample});
      continue;
    }
    for (size_t bi = 0; bi < pops[l].bits.size(); ++bi) {
      const int64_t n = c.method == SfiMethod::adaptive ? std::min(pops[l].per_bit(), stats::kAdaptiveFirstRound)
                                                        : lp.bit_sample[bi];
      out.push_back({fmt::format("layer={} bit={}", pops[l].param, pops[l].bits[bi]), pops[l].param, pops[l].bits[bi],
                     l, bi, pops[l].per_bit(), n});
    }
  }
  return out;
}

}  // namespace cnnfi::campaign
