#include "campaign/summary.h"

#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "campaign/outcome.h"
#include "util/error.h"

namespace cnnfi::campaign {

std::vector<PointSummary> summarize_points(const std::vector<store::TrialRow>& trials) {
  std::vector<PointSummary> out;
  std::map<std::string, size_t> where;
  std::vector<std::vector<double>> t1, t5, crit, tol, msk, due;
  for (const auto& t : trials) {
    if (!where.count(t.point)) {
      where[t.point] = out.size();
      PointSummary p;
      p.point = t.point;
      p.x = t.x;
      out.push_back(p);
      t1.emplace_back();
      t5.emplace_back();
      crit.emplace_back();
      tol.emplace_back();
      msk.emplace_back();
      due.emplace_back();
    }
    const size_t i = where[t.point];
    ++out[i].planned;
    if (!t.done || t.images == 0) continue;
    ++out[i].finished;
    const double n = static_cast<double>(t.images);
    t1[i].push_back(1.0 - t.misclassified / n);
    t5[i].push_back(1.0 - t.top5_miss / n);
    crit[i].push_back(t.critical / n);
    tol[i].push_back(t.tolerable / n);
    msk[i].push_back(t.masked / n);
    due[i].push_back(t.due / n);
  }
  auto mean = [](const std::vector<double>& v) { return stats::summarize(v).mean; };
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].top1 = stats::summarize(t1[i]);
    out[i].top5 = stats::summarize(t5[i]);
    out[i].critical_rate = mean(crit[i]);
    out[i].tolerable_rate = mean(tol[i]);
    out[i].masked_rate = mean(msk[i]);
    out[i].due_rate = mean(due[i]);
  }
  return out;
}

double golden_top1(const std::vector<store::GoldenRow>& golden) {
  if (golden.empty()) return 0;
  int64_t ok = 0;
  for (const auto& g : golden) ok += (g.facts & kTop1Correct) != 0;
  return static_cast<double>(ok) / golden.size();
}

void export_csv(const store::Store& st, const std::string& path) {
  std::ofstream out(path);
  if (!out) fail("{}: cannot write", path);
  out << "point,x,repetitions,top1_mean,top1_std,top1_min,top1_max,top1_ci95,top5_mean,critical_rate,"
         "tolerable_rate,masked_rate,due_rate\n";
  for (const auto& p : summarize_points(st.trials()))
    out << p.point << ',' << p.x << ',' << p.finished << ',' << p.top1.mean << ',' << p.top1.std << ',' << p.top1.min
        << ',' << p.top1.max << ',' << p.top1.ci << ',' << p.top5.mean << ',' << p.critical_rate << ','
        << p.tolerable_rate << ',' << p.masked_rate << ',' << p.due_rate << '\n';
}

void export_json(const store::Store& st, const std::string& path) {
  nlohmann::json j;
  j["meta"] = st.meta().to_map();
  const auto golden = st.golden();
  j["golden_top1"] = golden_top1(golden);
  j["images"] = golden.size();
  for (const auto& p : summarize_points(st.trials()))
    j["points"].push_back({{"point", p.point}, {"x", p.x}, {"repetitions", p.finished}, {"planned", p.planned},
                           {"top1", {{"mean", p.top1.mean}, {"std", p.top1.std}, {"min", p.top1.min},
                                     {"max", p.top1.max}, {"ci95", p.top1.ci}}},
                           {"top5_mean", p.top5.mean}, {"critical_rate", p.critical_rate},
                           {"tolerable_rate", p.tolerable_rate}, {"masked_rate", p.masked_rate},
                           {"due_rate", p.due_rate}});
  for (const auto& t : st.trials())
    j["trials"].push_back({{"trial", t.trial}, {"point", t.point}, {"rep", t.rep}, {"faults", t.n_faults},
                           {"done", t.done}, {"skipped", t.skipped}, {"images", t.images}, {"masked", t.masked},
                           {"tolerable", t.tolerable}, {"critical", t.critical}, {"due", t.due},
                           {"misclassified", t.misclassified}});
  std::ofstream out(path);
  if (!out) fail("{}: cannot write", path);
  out << j.dump(1) << '\n';
}

}  // namespace cnnfi::campaign
