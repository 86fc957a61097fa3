// cnnfi estimate: critical-rate estimates with error margins from an exhaustive or sfi store,
// per layer, per bit and for the network (and, with --strata, per (layer, bit) subpopulation),
// recomputed from the stored facts under any criticality and non-finite policy.
#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "campaign/estimates.h"
#include "cli/commands.h"
#include "stats/interval.h"
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
  std::printf("%s: %s campaign, critical rate (%s, non-finite: %s, t = %g: %.3g %% confidence)%s\n", db.c_str(),
              meta.kind.c_str(), crit.c_str(), campaign::to_string(policy).c_str(), t, 100 * stats::confidence_of_t(t),
              meta.complete() ? "" : "  [campaign not finished]");
  std::printf("intervals: %s\n", stats::kProportionMethod);
  const char* head = "%-36s %12s %10s %7s %10s %10s %21s\n";
  std::printf(head, "layer", "N", "n", "% inj", "p", "margin", "interval");
  auto row = [](const std::string& name, const stats::Estimate& x, bool missed) {
    std::printf("%-36s %12lld %10lld %7.3f %10.6f %10.6f [%9.6f, %9.6f]%s\n", name.c_str(),
                static_cast<long long>(x.population), static_cast<long long>(x.sample),
                x.population ? 100.0 * x.sample / x.population : 0.0, x.p, x.margin, x.lo, x.hi,
                missed ? "  MISSED" : "");
  };
  for (const auto& [name, x] : e.layers) row(name, x, false);
  row("network", e.network, e.network_scope && e.missed > 0);
  if (!e.bits.empty()) {
    std::printf("\n");
    std::printf(head, "bit (over layers)", "N", "n", "% inj", "p", "margin", "interval");
    for (const auto& [b, x] : e.bits) row(std::to_string(b), x, false);
  }
  if (strata) {
    std::printf("\n");
    std::printf(head, "subpopulation", "N", "n", "% inj", "p", "margin", "interval");
    for (const auto& s : e.strata) row(s.info.point, s.est, s.missed);
  }
  if (e.requested_error > 0) {
    if (e.missed == 0) {
      std::printf("\nevery %s meets the requested margin %g\n", e.network_scope ? "estimate" : "stratum",
                  e.requested_error);
    } else if (e.network_scope) {
      std::fprintf(stderr, "cnnfi: warning: %s: the network's margin %.6f exceeds the requested %g\n", db.c_str(),
                   e.network.margin, e.requested_error);
    } else {
      double worst = 0;
      for (const auto& s : e.strata) worst = std::max(worst, s.missed ? s.est.margin : 0.0);
      std::fprintf(stderr,
                   "cnnfi: warning: %s: %lld of %zu strata have a margin above the requested %g (up to %.6f)%s; "
                   "resume the campaign with top_up: true to sample them further\n",
                   db.c_str(), static_cast<long long>(e.missed), e.strata.size(), e.requested_error, worst,
                   strata ? " (marked MISSED)" : ", listed with --strata");
    }
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
