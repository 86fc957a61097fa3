// Per-point summaries of a store's trials (one point = one schedule step, bit or layer):
// top-1 accuracy over repetitions (mean, std, min, max, 95 % CI) and mean outcome rates.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "stats/summary.h"
#include "store/store.h"

namespace cnnfi::campaign {

struct PointSummary {
  std::string point;
  double x = 0;
  stats::Summary top1;       ///< accuracy over repetitions
  stats::Summary top5;
  double critical_rate = 0;  ///< mean over repetitions of critical / images
  double tolerable_rate = 0, masked_rate = 0, due_rate = 0;
  int64_t finished = 0, planned = 0;
};

/// Per-point summaries fed one trial at a time (a store streamed by Store::for_each_trial): per
/// point it keeps histograms of the per-trial rates, whose size is bounded by the images + 1
/// values a rate can take, not by the number of trials.
class PointSummarizer {
 public:
  void add(const store::TrialRow& t);
  /// In plan order of first appearance.
  std::vector<PointSummary> result() const;

 private:
  struct Acc {
    PointSummary p;
    std::map<double, int64_t> t1, t5, crit, tol, msk, due;
  };
  std::vector<Acc> acc_;
  std::map<std::string, size_t> where_;
};

/// In plan order of first appearance.
std::vector<PointSummary> summarize_points(const std::vector<store::TrialRow>& trials);
/// The same, streaming the store.
std::vector<PointSummary> summarize_points(const store::Store& st);
double golden_top1(const std::vector<store::GoldenRow>& golden);

/// Writes per-point summaries as CSV / the whole store (meta, golden accuracy, points, trials)
/// as JSON.
void export_csv(const store::Store& st, const std::string& path);
void export_json(const store::Store& st, const std::string& path);

}  // namespace cnnfi::campaign
