#include "stats/summary.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <boost/math/distributions/students_t.hpp>

namespace cnnfi::stats {

Summary summarize(const std::vector<double>& v, double confidence) {
  Summary s;
  s.n = static_cast<int64_t>(v.size());
  if (v.empty()) return s;
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / s.n;
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  if (s.n > 1) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.std = std::sqrt(ss / (s.n - 1));
    const boost::math::students_t t(static_cast<double>(s.n - 1));
    s.ci = boost::math::quantile(boost::math::complement(t, (1 - confidence) / 2)) * s.std / std::sqrt(double(s.n));
  }
  return s;
}

}  // namespace cnnfi::stats
