#include "stats/interval.h"

#include <algorithm>
#include <cmath>

#include <boost/math/distributions/normal.hpp>
#include <boost/math/special_functions/beta.hpp>

#include "util/error.h"

namespace cnnfi::stats {

double Interval::margin(double p) const { return std::max(p - lo, hi - p); }

double confidence_of_t(double t) {
  if (!(t > 0) || !std::isfinite(t)) fail("t {}: must be a positive number", t);
  return std::erf(t / std::sqrt(2.0));
}

double z_of_confidence(double confidence) {
  if (!(confidence > 0 && confidence < 1)) fail("confidence {}: must be in (0, 1)", confidence);
  return boost::math::quantile(boost::math::normal_distribution<double>(), 0.5 + confidence / 2);
}

Interval clopper_pearson(double x, double n, double confidence) {
  if (!(confidence > 0 && confidence < 1)) fail("confidence {}: must be in (0, 1)", confidence);
  if (!(n > 0)) return {0, 1};
  x = std::clamp(x, 0.0, n);
  const double a = (1 - confidence) / 2;
  Interval r;
  r.lo = x <= 0 ? 0.0 : boost::math::ibeta_inv(x, n - x + 1, a);
  r.hi = x >= n ? 1.0 : boost::math::ibeta_inv(x + 1, n - x, 1 - a);
  return r;
}

Interval clopper_pearson_finite(double x, int64_t n, int64_t N, double confidence) {
  if (n <= 0) return {0, 1};
  const double p = std::clamp(x / static_cast<double>(n), 0.0, 1.0);
  if (n >= N) return {p, p};
  const Interval cp = clopper_pearson(x, static_cast<double>(n), confidence);
  const double fpc = N > 1 ? std::sqrt(static_cast<double>(N - n) / static_cast<double>(N - 1)) : 0.0;
  return {std::clamp(p - (p - cp.lo) * fpc, 0.0, 1.0), std::clamp(p + (cp.hi - p) * fpc, 0.0, 1.0)};
}

Interval wilson(double x, double n, double confidence) {
  if (!(n > 0)) return {0, 1};
  const double z = z_of_confidence(confidence), p = std::clamp(x / n, 0.0, 1.0);
  const double d = 1 + z * z / n, c = (p + z * z / (2 * n)) / d;
  const double h = z * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d;
  return {std::max(0.0, c - h), std::min(1.0, c + h)};
}

}  // namespace cnnfi::stats
