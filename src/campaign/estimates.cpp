#include "campaign/estimates.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "stats/interval.h"
#include "util/error.h"

namespace cnnfi::campaign {

std::vector<StratumInfo> read_strata(const store::Meta& meta, const std::string& path) {
  if (meta.strata.empty()) fail("{}: not an exhaustive or sfi campaign (no strata in the store)", path);
  std::vector<StratumInfo> out;
  try {
    for (const auto& j : nlohmann::json::parse(meta.strata)) {
      StratumInfo s{j.at("point"), j.at("layer"), j.at("bit"), j.at("N")};
      if (s.population < 0 || s.bit < -1 || s.bit > 63)
        fail("{}: damaged strata metadata: stratum '{}' has N {} and bit {}", path, s.point, s.population, s.bit);
      out.push_back(std::move(s));
    }
  } catch (const nlohmann::json::exception& e) {
    fail("{}: damaged strata metadata: {}", path, e.what());
  }
  return out;
}

Estimates estimate_store(const store::Store& st, NonFinitePolicy policy, const Criticality& c, double t) {
  Estimates e;
  e.t = t;
  const auto infos = read_strata(st.meta(), st.path());
  std::map<std::string, size_t> index;
  for (const auto& s : infos) {
    index[s.point] = e.strata.size();
    e.strata.push_back({s, 0, 0, {}});
  }
  std::vector<double> sums(e.strata.size(), 0.0);
  st.for_each_trial([&](const store::TrialRow& tr, const std::vector<fault::WeightFault>&) {
    ++e.trials;
    const auto it = index.find(tr.point);
    if (it == index.end()) return;
    auto& r = e.strata[it->second];
    ++r.planned;
    if (!tr.done) return;
    ++r.finished;
    sums[it->second] += trial_criticality(tr.facts, policy, c);
  });
  std::map<std::string, std::vector<stats::Stratum>> by_layer;
  std::map<int, std::vector<stats::Stratum>> by_bit;
  std::vector<std::string> layer_order;
  std::vector<stats::Stratum> all;
  for (size_t i = 0; i < e.strata.size(); ++i) {
    auto& r = e.strata[i];
    const stats::Stratum s{r.info.population, r.finished, r.finished ? sums[i] / static_cast<double>(r.finished) : 0.0};
    r.est = stats::estimate(s, t);
    if (!by_layer.count(r.info.layer)) layer_order.push_back(r.info.layer);
    by_layer[r.info.layer].push_back(s);
    if (r.info.bit >= 0) by_bit[r.info.bit].push_back(s);
    all.push_back(s);
  }
  for (const auto& l : layer_order) e.layers.emplace_back(l, stats::combine(by_layer[l], t));
  for (const auto& [b, v] : by_bit) e.bits.emplace_back(b, stats::combine(v, t));
  e.network = stats::combine(all, t);
  const auto& extra = st.meta().extra;
  if (extra.count("requested_error")) {
    const std::string& text = extra.at("requested_error");
    char* end = nullptr;
    double want = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size()) want = -1;
    if (!(want > 0 && want < 1)) fail("{}: damaged metadata: requested_error {}", st.path(), want);
    e.requested_error = want;
    e.network_scope = extra.count("margin_scope") && extra.at("margin_scope") == "network";
    constexpr double kSlack = 1e-12;
    if (e.network_scope) {
      e.missed = e.network.margin > want + kSlack;
    } else {
      for (auto& r : e.strata) e.missed += (r.missed = r.est.margin > want + kSlack);
    }
  }
  return e;
}

namespace {

nlohmann::json est_json(const stats::Estimate& e, nlohmann::json extra = nlohmann::json::object()) {
  extra.update({{"N", e.population}, {"n", e.sample}, {"p", e.p}, {"margin", e.margin}, {"lo", e.lo}, {"hi", e.hi}});
  return extra;
}

}  // namespace

nlohmann::json to_json(const Estimates& e) {
  nlohmann::json j = {{"t", e.t},
                      {"confidence", stats::confidence_of_t(e.t)},
                      {"interval_method", stats::kProportionMethod},
                      {"network", est_json(e.network)}};
  if (e.requested_error > 0) {
    j["requested_error"] = e.requested_error;
    j["margin_scope"] = e.network_scope ? "network" : "stratum";
    j["missed"] = e.missed;
    j["network"]["missed"] = e.network_scope && e.missed > 0;
  }
  j["layers"] = nlohmann::json::array();
  for (const auto& [name, est] : e.layers) j["layers"].push_back(est_json(est, {{"name", name}}));
  j["bits"] = nlohmann::json::array();
  for (const auto& [bit, est] : e.bits) j["bits"].push_back(est_json(est, {{"bit", bit}}));
  j["strata"] = nlohmann::json::array();
  for (const auto& s : e.strata)
    j["strata"].push_back(
        est_json(s.est, {{"layer", s.info.layer}, {"bit", s.info.bit}, {"planned", s.planned}, {"missed", s.missed}}));
  return j;
}

}  // namespace cnnfi::campaign
