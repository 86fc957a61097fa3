// cnnfi estimate: critical-rate estimates with error margins from an exhaustive or sfi store,
// per layer, per bit and for the network (and, with --strata, per (layer, bit) subpopulation),
// recomputed from the stored facts under any criticality and non-finite policy.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "campaign/estimates.h"
#include "cli/commands.h"
#include "stats/sample_size.h"
#include "store/store.h"

namespace cnnfi::cli {

namespace {

struct EstimateOptions {
  std::string store, criticality, nonfinite;
  double t = 0;
  bool json = false, strata = false;
};

/// The policy, criticality and t asked for, each defaulting to what the campaign ran with.
struct Resolved {
  campaign::NonFinitePolicy policy;
  std::string criticality;
  double t;
};

Resolved resolve(const store::Meta& meta, const std::string& criticality, const std::string& nonfinite, double t) {
  return {campaign::parse_nonfinite(nonfinite.empty() ? meta.nonfinite : nonfinite),
          !criticality.empty() ? criticality : meta.criticality, t > 0 ? t : meta.t};
}

}  // namespace

void print_estimates(const std::string& db, const std::string& criticality, const std::string& nonfinite, double t_in,
                     bool strata) {
  store::Store st(db, store::OpenMode::read);
  const auto meta = st.meta();
  const auto r = resolve(meta, criticality, nonfinite, t_in);
  const auto policy = r.policy;
  const std::string& crit = r.criticality;
  const double t = r.t;
  const auto e = campaign::estimate_store(st, policy, campaign::parse_criticality(crit), t);
  std::printf("%s: %s campaign, critical rate (%s, non-finite: %s, t = %g)%s\n", db.c_str(), meta.kind.c_str(),
              crit.c_str(), campaign::to_string(policy).c_str(), t, meta.complete() ? "" : "  [campaign not finished]");
  std::printf("%-36s %12s %10s %7s %12s %10s\n", "layer", "N", "n", "% inj", "p", "margin");
  auto row = [](const std::string& name, const stats::Estimate& x) {
    std::printf("%-36s %12lld %10lld %7.3f %12.6f %10.6f\n", name.c_str(), static_cast<long long>(x.population),
                static_cast<long long>(x.sample), x.population ? 100.0 * x.sample / x.population : 0.0, x.p, x.margin);
  };
  for (const auto& [name, x] : e.layers) row(name, x);
  row("network", e.network);
  if (!e.bits.empty()) {
    std::printf("\n%-36s %12s %10s %7s %12s %10s\n", "bit (over layers)", "N", "n", "% inj", "p", "margin");
    for (const auto& [b, x] : e.bits) row(std::to_string(b), x);
  }
  if (strata) {
    std::printf("\n%-36s %12s %10s %7s %12s %10s\n", "subpopulation", "N", "n", "% inj", "p", "margin");
    for (const auto& s : e.strata) row(s.info.point, s.est);
  }
}

void setup_estimate(CLI::App& app) {
  auto o = std::make_shared<EstimateOptions>();
  auto* sub = app.add_subcommand("estimate", "critical-rate estimates with error margins of an exhaustive or sfi store");
  sub->add_option("store", o->store, "result store (.db)")->required()->check(CLI::ExistingFile);
  sub->add_option("--criticality", o->criticality, "pairs (default) | any | fraction:X");
  sub->add_option("--nonfinite", o->nonfinite, "due | top1 | torch (default: as run)");
  sub->add_option("--t", o->t, "t (default: the campaign's)");
  sub->add_flag("--strata", o->strata, "also print every (layer, bit) subpopulation");
  sub->add_flag("--json", o->json, "one JSON object: network, layers, bits, strata");
  sub->callback([o] {
    if (!o->json) return print_estimates(o->store, o->criticality, o->nonfinite, o->t, o->strata);
    store::Store st(o->store, store::OpenMode::read);
    const auto r = resolve(st.meta(), o->criticality, o->nonfinite, o->t);
    auto j = campaign::to_json(campaign::estimate_store(st, r.policy, campaign::parse_criticality(r.criticality), r.t));
    j["criticality"] = r.criticality;
    j["nonfinite"] = campaign::to_string(r.policy);
    std::printf("%s\n", j.dump().c_str());
  });
}

}  // namespace cnnfi::cli
