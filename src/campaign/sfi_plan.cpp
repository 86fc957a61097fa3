#include "campaign/sfi_plan.h"

#include <fmt/format.h>

#include "stats/data_aware.h"
#include "stats/sample_size.h"
#include "stats/stratified.h"
#include "util/error.h"

namespace cnnfi::campaign {

std::vector<SfiStratum> sfi_strata(const CampaignConfig& c, const std::vector<fault::Population>& pops,
                                   const fault::WeightInjector& inj, const exec::Executor& exec) {
  if (pops.empty()) fail("sfi: no layer selected");
  std::vector<std::string> names;
  std::vector<int64_t> sizes;
  for (const auto& p : pops) {
    if (p.bits != pops[0].bits) fail("sfi: every layer must have the same bits (per-bit strata)");
    names.push_back(p.param);
    sizes.push_back(p.size());
  }
  const stats::SampleSpec spec{c.error, c.t > 0 ? c.t : stats::t_for_confidence(c.confidence)};
  const int bits = static_cast<int>(pops[0].bits.size());
  stats::Plan plan;
  if (c.method == "network") {
    plan = stats::plan_network(names, sizes, spec);
  } else if (c.method == "layer") {
    plan = stats::plan_layer(names, sizes, spec);
  } else if (c.method == "data-aware") {
    std::vector<at::Tensor> golden;
    for (const auto& p : pops) golden.push_back(exec.weight(p.param));
    const auto crit = stats::data_aware_p(golden, inj.format(), c.p_rule.value_or(stats::default_p_rule(inj.format())));
    std::vector<double> bit_p;
    for (int b : pops[0].bits) bit_p.push_back(crit.at(static_cast<size_t>(b)).p);
    plan = stats::plan_data_aware(names, sizes, bit_p, spec);
  } else {
    plan = stats::plan_data_unaware(names, sizes, bits, spec);
  }
  std::vector<SfiStratum> out;
  for (size_t l = 0; l < pops.size(); ++l) {
    const auto& lp = plan.layers.at(l);
    if (lp.bit_sample.empty()) {
      out.push_back({fmt::format("layer={}", pops[l].param), pops[l].param, -1, l, 0, pops[l].size(), lp.sample});
      continue;
    }
    for (size_t bi = 0; bi < pops[l].bits.size(); ++bi) {
      const int64_t n =
          c.method == "adaptive" ? std::min(pops[l].per_bit(), stats::kAdaptiveFirstRound) : lp.bit_sample[bi];
      out.push_back({fmt::format("layer={} bit={}", pops[l].param, pops[l].bits[bi]), pops[l].param, pops[l].bits[bi],
                     l, bi, pops[l].per_bit(), n});
    }
  }
  return out;
}

}  // namespace cnnfi::campaign
