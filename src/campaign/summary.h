// Per-point summaries of a store's trials (one point = one schedule step, bit or layer):
// top-1 accuracy over repetitions (mean, std, min, max, 95 % CI) and mean outcome rates.
#pragma once
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

/// In plan order of first appearance.
std::vector<PointSummary> summarize_points(const std::vector<store::TrialRow>& trials);
double golden_top1(const std::vector<store::GoldenRow>& golden);

/// Writes per-point summaries as CSV / the whole store (meta, golden accuracy, points, trials)
/// as JSON.
void export_csv(const store::Store& st, const std::string& path);
void export_json(const store::Store& st, const std::string& path);

}  // namespace cnnfi::campaign
