#include "stats/stratified.h"

#include <algorithm>
#include <cmath>

#include "stats/sample_size.h"

namespace cnnfi::stats {

Estimate estimate(const Stratum& s, double t) {
  return {s.population, s.sample, s.p, error_margin(s.population, s.sample, s.p, t)};
}

Estimate combine(const std::vector<Stratum>& strata, double t) {
  Estimate e;
  for (const auto& s : strata) {
    e.population += s.population;
    e.sample += s.sample;
  }
  if (e.population == 0) return e;
  double var = 0;
  for (const auto& s : strata) {
    const double w = static_cast<double>(s.population) / static_cast<double>(e.population);
    e.p += w * s.p;
    if (s.sample < s.population && s.sample > 0 && s.population > 1)
      var += w * w * s.p * (1 - s.p) / static_cast<double>(s.sample) * static_cast<double>(s.population - s.sample) /
             static_cast<double>(s.population - 1);
    else if (s.sample == 0)
      var += w * w * 0.25;  // nothing observed: the worst case
  }
  e.margin = t * std::sqrt(var);
  return e;
}

int64_t adaptive_next(int64_t population, int64_t n, double p, double e, double t) {
  if (n >= population) return n;
  if (n <= 0) return std::min(population, kAdaptiveFirstRound);
  const double guarded = std::max(p, 1.0 / static_cast<double>(n));
  if (error_margin(population, n, std::min(guarded, 0.5), t) <= e) return n;
  const int64_t need = sample_size(population, std::min(guarded, 0.5), SampleSpec{e, t});
  const int64_t grow = n + std::max<int64_t>(1, n / 4);
  return std::min(population, std::max(need, grow));
}

}  // namespace cnnfi::stats
