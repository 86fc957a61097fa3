// sfi: statistical fault injection (seed 004). The population (layers x bits x fault model) is
// split into strata by the method: network and layer -> one stratum per layer (network: the
// network's n shared in proportion to N), data-unaware, data-aware and adaptive -> one per
// (layer, bit). Each stratum's n faults are drawn without replacement (a seeded permutation
// prefix) and evaluated alone. Adaptive strata start at kAdaptiveFirstRound and grow in rounds
// (extend_sfi) until their Clopper-Pearson margin (stats/stratified.h) is at most `error`; with
// top_up (the default) every other method's plan is topped up the same way once it has run, so
// the margin promised holds on any network whatever p the rule assumed (the network method: the
// network's margin, its strata grown by a quarter per round).
// Keys: method (network | layer | data-unaware (default) | data-aware | adaptive), error (0.01),
// confidence (0.99) or t, criticality (pairs | any | fraction:X), p_rule (authors | fence),
// top_up (true | false).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "campaign/estimates.h"
#include "campaign/kind.h"
#include "campaign/sfi_plan.h"
#include "fault/population.h"
#include "stats/sample_size.h"
#include "stats/stratified.h"

namespace cnnfi::campaign {

namespace {

/// Trials for units [from, to) of stratum s's permutation.
void draw(const PlanInput& in, const std::vector<fault::Population>& pops, const SfiStratum& s, size_t index, int64_t from,
          int64_t to, std::vector<store::TrialPlan>& out) {
  const auto& p = pops[s.pop];
  const auto units = fault::permutation_prefix(s.N, to, trial_seed(in.config.seed, index, 0));
  for (int64_t i = from; i < static_cast<int64_t>(units.size()); ++i) {
    store::TrialPlan t;
    t.point = s.point;
    t.x = s.bit >= 0 ? s.bit : static_cast<double>(s.pop);
    t.rep = static_cast<int>(i);
    auto f = s.bit >= 0 ? p.bit_fault(s.bit_index, units[static_cast<size_t>(i)]) : p.fault(units[static_cast<size_t>(i)]);
    t.faults = {f};
    out.push_back(std::move(t));
  }
}

}  // namespace

std::shared_ptr<KindOptions> parse_sfi(const Keys& k) {
  auto o = std::make_shared<SfiOptions>();
  if (k.has("method")) o->method = k.parsed("method", parse_sfi_method);
  if (k.has("error")) o->error = k.real("error", 0, 1, true);
  if (o->error >= 1) k.bad("error", "must be below 1");
  if (k.has("confidence")) o->confidence = k.real("confidence", 0, 1, true);
  // Below 0.5 the interval's t is below 0.67 (and reaches 0 where the confidence underflows): no
  // margin worth stating, and a t of 0 that no store may hold.
  if (o->confidence >= 1 || o->confidence < 0.5) k.bad("confidence", "must be in [0.5, 1)");
  if (k.has("t")) o->t_given = k.real("t", 0, 100, true);
  if (k.has("criticality")) o->crit = k.parsed("criticality", parse_criticality);
  if (k.has("p_rule")) o->p_rule = k.parsed("p_rule", stats::parse_p_rule);
  if (k.has("top_up")) {
    const std::string v = k.text("top_up");
    if (v != "true" && v != "false") k.bad("top_up", "expected true or false");
    o->top_up = v == "true";
  }
  auto& d = o->chosen;
  if (!k.has("method")) d.push_back("method data-unaware");
  if (!k.has("error")) d.push_back("error 0.01");
  if (!k.has("confidence") && !k.has("t")) d.push_back("confidence 0.99 (t 2.58)");
  if (!k.has("criticality")) d.push_back("criticality pairs");
  if (o->method == SfiMethod::data_aware && !k.has("p_rule"))
    d.push_back("p_rule authors for fp32 weights, fence otherwise");
  if (o->method != SfiMethod::adaptive && !k.has("top_up"))
    d.push_back("top_up true (strata that miss the margin are sampled further)");
  return o;
}

std::vector<store::TrialPlan> plan_sfi(const PlanInput& in) {
  const auto pops = fault::populations(in.injector, in.exec, in.config.layers, in.config.bits, in.config.fault_model);
  const auto strata = sfi_strata(in.config.kind_options<SfiOptions>(), pops, in.injector, in.exec);
  int64_t n = 0;
  for (const auto& s : strata) n += s.n;
  in.check_plan_size(n, n);
  std::vector<store::TrialPlan> out;
  nlohmann::json js = nlohmann::json::array();
  for (size_t i = 0; i < strata.size(); ++i) {
    const auto& s = strata[i];
    js.push_back({{"point", s.point}, {"layer", s.layer}, {"bit", s.bit}, {"N", s.N}, {"n_planned", s.n}});
    draw(in, pops, s, i, 0, s.n, out);
  }
  int64_t id = 0;
  for (auto& t : out) t.faults[0].id = id++;
  if (in.meta) {
    const auto& o = in.config.kind_options<SfiOptions>();
    in.meta->strata = js.dump();
    in.meta->extra["requested_error"] = fmt::format("{}", o.error);
    in.meta->extra["margin_scope"] = promise_is_network(o.method) ? "network" : "stratum";
  }
  return out;
}

std::vector<store::TrialPlan> extend_sfi(const PlanInput& in, const store::Store& st) {
  const auto& c = in.config;
  const auto& o = c.kind_options<SfiOptions>();
  if (o.method != SfiMethod::adaptive && !o.top_up) return {};
  const auto pops = fault::populations(in.injector, in.exec, c.layers, c.bits, c.fault_model);
  const auto strata = sfi_strata(o, pops, in.injector, in.exec);
  const double t = o.t();
  const auto est = estimate_store(st, c.nonfinite, o.crit, t);
  std::map<std::string, const StratumResult*> by_point;
  for (const auto& r : est.strata) by_point[r.info.point] = &r;
  std::vector<store::TrialPlan> out;
  int64_t id = est.trials;
  for (const auto& r : est.strata)
    if (r.finished < r.planned) return {};  // extend only once every planned trial is done
  // The network method promises the network's margin: while it is missed, every stratum grows
  // by a quarter (the proportional allocation is kept).
  const bool network = promise_is_network(o.method);
  if (network && est.network.margin <= o.error) return {};
  for (size_t i = 0; i < strata.size(); ++i) {
    const auto it = by_point.find(strata[i].point);
    if (it == by_point.end()) continue;
    const auto& r = *it->second;
    const int64_t next = network ? std::min(strata[i].N, r.planned + std::max<int64_t>(1, r.planned / 4))
                                 : stats::adaptive_next(strata[i].N, r.planned, r.est.p, o.error, t);
    if (next > r.planned) draw(in, pops, strata[i], i, r.planned, next, out);
  }
  for (auto& tr : out) tr.faults[0].id = id++;
  return out;
}

}  // namespace cnnfi::campaign
