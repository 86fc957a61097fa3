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

Summary summarize(const std::map<double, int64_t>& counts, double confidence) {
  Summary s;
  long double sum = 0;
  for (const auto& [v, m] : counts) {
    if (m <= 0) continue;
    if (s.n == 0) s.min = v;
    s.max = v;
    s.n += m;
    sum += static_cast<long double>(v) * m;
  }
  if (s.n == 0) return s;
  s.mean = static_cast<double>(sum / s.n);
  if (s.n > 1) {
    long double ss = 0;
    for (const auto& [v, m] : counts)
      if (m > 0) ss += static_cast<long double>(m) * (v - s.mean) * (v - s.mean);
    s.std = std::sqrt(static_cast<double>(ss / (s.n - 1)));
    const boost::math::students_t t(static_cast<double>(s.n - 1));
    s.ci = boost::math::quantile(boost::math::complement(t, (1 - confidence) / 2)) * s.std / std::sqrt(double(s.n));
  }
  return s;
}

}  // namespace cnnfi::stats
