// Summary of repeated measurements: mean, sample standard deviation, min, max and the
// half-width of the two-sided confidence interval of the mean (Student's t, n - 1 dof).
#pragma once
#include <cstdint>
#include <map>
#include <vector>

namespace cnnfi::stats {

struct Summary {
  int64_t n = 0;
  double mean = 0, std = 0, min = 0, max = 0;
  double ci = 0;  ///< half-width of the confidence interval of the mean
};

Summary summarize(const std::vector<double>& values, double confidence = 0.95);
/// The same summary of values given as value -> how many times it was measured (a histogram:
/// what a streaming reader keeps when the values are counts over a fixed number of images).
Summary summarize(const std::map<double, int64_t>& counts, double confidence = 0.95);

}  // namespace cnnfi::stats
