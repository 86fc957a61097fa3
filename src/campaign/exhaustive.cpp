// exhaustive: every fault of the population (selected layers x bits x fault model; "sa" =
// both stuck-ats), each alone over the image set. One stratum per (layer, bit), injected in
// full, so the estimates (campaign/estimates.h) are exact and a plan can be validated against it.
// Each stratum is planned as one run (store::TrialPlan::run): its trials are defined by their
// index, so the plan of ResNet-20's 17 M faults is 640 entries, in memory and in the store.
// Keys: criticality (pairs | any | fraction:X, how its estimates count a critical fault).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "campaign/kind.h"
#include "fault/population.h"

namespace cnnfi::campaign {

namespace {

struct ExhaustiveOptions : KindOptions {
  Criticality crit;
  Criticality criticality() const override { return crit; }
};

}  // namespace

std::shared_ptr<KindOptions> parse_exhaustive(const Keys& k) {
  auto o = std::make_shared<ExhaustiveOptions>();
  if (k.has("criticality")) o->crit = k.parsed("criticality", parse_criticality);
  return o;
}

std::vector<store::TrialPlan> plan_exhaustive(const PlanInput& in) {
  const auto& c = in.config;
  const auto pops = fault::populations(in.injector, in.exec, c.layers, c.bits, c.fault_model);
  std::vector<store::TrialPlan> out;
  nlohmann::json strata = nlohmann::json::array();
  int64_t id = 0;
  for (const auto& p : pops)
    for (size_t bi = 0; bi < p.bits.size(); ++bi) {
      const std::string point = fmt::format("layer={} bit={}", p.param, p.bits[bi]);
      strata.push_back({{"point", point}, {"layer", p.param}, {"bit", p.bits[bi]}, {"N", p.per_bit()}});
      // Unit v of the stratum is weight v / m, model v % m (fault/population.h): the run's cycle
      // is the m faults of weight 0.
      store::TrialPlan t;
      t.point = point;
      t.x = p.bits[bi];
      t.run = p.per_bit();
      for (int64_t v = 0; v < p.per_weight_bit(); ++v) {
        auto f = p.bit_fault(bi, v);
        f.id = id + v;
        t.faults.push_back(f);
      }
      id += p.per_bit();
      if (t.run < 1) continue;  // a tensor without elements: nothing to inject
      if (t.run == 1) t.faults.resize(1);  // one weight, one fault model: an ordinary trial
      out.push_back(std::move(t));
    }
  if (in.meta) in.meta->strata = strata.dump();
  return out;
}

}  // namespace cnnfi::campaign
