#include "campaign/summary.h"

#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "campaign/outcome.h"
#include "util/error.h"
#include "util/strings.h"

namespace cnnfi::campaign {

void PointSummarizer::add(const store::TrialRow& t) {
  auto it = where_.find(t.point);
  if (it == where_.end()) {
    it = where_.emplace(t.point, acc_.size()).first;
    Acc a;
    a.p.point = t.point;
    a.p.x = t.x;
    acc_.push_back(std::move(a));
  }
  Acc& a = acc_[it->second];
  ++a.p.planned;
  if (!t.done || t.images == 0) return;
  ++a.p.finished;
  const double n = static_cast<double>(t.images);
  ++a.t1[1.0 - t.misclassified / n];
  ++a.t5[1.0 - t.top5_miss / n];
  ++a.crit[t.critical / n];
  ++a.tol[t.tolerable / n];
  ++a.msk[t.masked / n];
  ++a.due[t.due / n];
}

std::vector<PointSummary> PointSummarizer::result() const {
  std::vector<PointSummary> out;
  for (const auto& a : acc_) {
    PointSummary p = a.p;
    p.top1 = stats::summarize(a.t1);
    p.top5 = stats::summarize(a.t5);
    p.critical_rate = stats::summarize(a.crit).mean;
    p.tolerable_rate = stats::summarize(a.tol).mean;
    p.masked_rate = stats::summarize(a.msk).mean;
    p.due_rate = stats::summarize(a.due).mean;
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<PointSummary> summarize_points(const std::vector<store::TrialRow>& trials) {
  PointSummarizer s;
  for (const auto& t : trials) s.add(t);
  return s.result();
}

std::vector<PointSummary> summarize_points(const store::Store& st) {
  PointSummarizer s;
  st.for_each_trial([&](const store::TrialRow& t, const std::vector<fault::WeightFault>&) { s.add(t); });
  return s.result();
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
  for (const auto& p : summarize_points(st))
    out << csv_cell(p.point) << ',' << p.x << ',' << p.finished << ',' << p.top1.mean << ',' << p.top1.std << ',' << p.top1.min
        << ',' << p.top1.max << ',' << p.top1.ci << ',' << p.top5.mean << ',' << p.critical_rate << ','
        << p.tolerable_rate << ',' << p.masked_rate << ',' << p.due_rate << '\n';
}

void export_json(const store::Store& st, const std::string& path) {
  // Written piece by piece: the trials stream from the store to the file, one line each, so a
  // store of millions of trials is exported in bounded memory.
  nlohmann::json head;
  head["meta"] = st.meta().to_map();
  const auto golden = st.golden();
  head["golden_top1"] = golden_top1(golden);
  head["images"] = golden.size();
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : summarize_points(st))
    points.push_back({{"point", p.point}, {"x", p.x}, {"repetitions", p.finished}, {"planned", p.planned},
                      {"top1", {{"mean", p.top1.mean}, {"std", p.top1.std}, {"min", p.top1.min},
                                {"max", p.top1.max}, {"ci95", p.top1.ci}}},
                      {"top5_mean", p.top5.mean}, {"critical_rate", p.critical_rate},
                      {"tolerable_rate", p.tolerable_rate}, {"masked_rate", p.masked_rate},
                      {"due_rate", p.due_rate}});
  head["points"] = points;
  std::ofstream out(path);
  if (!out) fail("{}: cannot write", path);
  std::string h = head.dump(1);
  h.pop_back();  // the closing brace: the trials follow
  while (!h.empty() && (h.back() == '\n' || h.back() == ' ')) h.pop_back();
  out << h << ",\n \"trials\": [";
  bool first = true;
  st.for_each_trial([&](const store::TrialRow& t, const std::vector<fault::WeightFault>&) {
    const nlohmann::json j = {{"trial", t.trial}, {"point", t.point}, {"rep", t.rep}, {"faults", t.n_faults},
                              {"done", t.done}, {"skipped", t.skipped}, {"images", t.images}, {"masked", t.masked},
                              {"tolerable", t.tolerable}, {"critical", t.critical}, {"due", t.due},
                              {"misclassified", t.misclassified}};
    out << (first ? "\n  " : ",\n  ") << j.dump();
    first = false;
  });
  out << (first ? "]\n}\n" : "\n ]\n}\n");
  if (!out) fail("{}: write failed (disk full?)", path);
}

}  // namespace cnnfi::campaign
