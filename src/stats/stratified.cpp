#include "stats/stratified.h"

#include <algorithm>
#include <cmath>

#include "stats/interval.h"

namespace cnnfi::stats {

namespace {

Interval stratum_interval(const Stratum& s, double p, double confidence) {
  return clopper_pearson_finite(p * static_cast<double>(s.sample), s.sample, s.population, confidence);
}

}  // namespace

Estimate estimate(const Stratum& s, double t) {
  Estimate e{s.population, s.sample, s.p, 0, 0, 1};
  if (s.population <= 0) return e;
  const auto iv = stratum_interval(s, s.p, confidence_of_t(t));
  e.lo = iv.lo;
  e.hi = iv.hi;
  e.margin = iv.margin(s.p);
  return e;
}

Estimate combine(const std::vector<Stratum>& strata, double t) {
  Estimate e;
  for (const auto& s : strata) {
    e.population += s.population;
    e.sample += s.sample;
  }
  if (e.population == 0) return e;
  double var = 0;
  const double z2 = t * t;
  for (const auto& s : strata) {
    const double w = static_cast<double>(s.population) / static_cast<double>(e.population);
    e.p += w * s.p;
    if (s.sample >= s.population || s.population <= 1) continue;  // drawn whole: exact
    if (s.sample <= 0) {
      var += w * w * 0.25;  // nothing observed: the worst case
      continue;
    }
    const double n = static_cast<double>(s.sample);
    const double adj = (s.p * n + z2 / 2) / (n + z2);
    var += w * w * adj * (1 - adj) / (n + z2) * static_cast<double>(s.population - s.sample) /
           static_cast<double>(s.population - 1);
  }
  e.margin = t * std::sqrt(var);
  e.lo = std::max(0.0, e.p - e.margin);
  e.hi = std::min(1.0, e.p + e.margin);
  return e;
}

int64_t adaptive_next(int64_t population, int64_t n, double p, double e, double t) {
  if (n >= population) return n;
  if (n <= 0) return std::min(population, kAdaptiveFirstRound);
  const double conf = confidence_of_t(t);
  const auto margin_at = [&](int64_t m) { return stratum_interval({population, m, p}, p, conf).margin(p); };
  if (margin_at(n) <= e) return n;
  // The smallest m whose margin at the observed p is at most e (the margin falls with m).
  int64_t lo = n, hi = population;  // margin_at(lo) > e, margin_at(hi) = 0
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (margin_at(mid) <= e ? hi : lo) = mid;
  }
  const int64_t grow = n + std::max<int64_t>(1, n / 4);
  return std::min(population, std::max(hi, grow));
}

}  // namespace cnnfi::stats
