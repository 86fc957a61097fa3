#include "stats/likelihood.h"

#include <cmath>

#include <boost/math/distributions/beta.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/digamma.hpp>

#include "util/error.h"

namespace cnnfi::stats {

double beta_entropy(double a, double b) {
  using boost::math::digamma;
  return std::log(boost::math::beta(a, b)) - (a - 1) * digamma(a) - (b - 1) * digamma(b) + (a + b - 2) * digamma(a + b);
}

ToleranceLikelihood tolerance_likelihood(int64_t tolerated, int64_t trials, double confidence) {
  if (trials < 0 || tolerated < 0 || tolerated > trials)
    fail("tolerance likelihood: {} tolerated of {} trials", tolerated, trials);
  if (!(confidence > 0 && confidence < 1)) fail("tolerance likelihood: confidence {} is not in (0, 1)", confidence);
  ToleranceLikelihood r;
  r.trials = trials, r.tolerated = tolerated;
  const double a = static_cast<double>(tolerated) + 0.5, b = static_cast<double>(trials - tolerated) + 0.5;
  const boost::math::beta_distribution<double> post(a, b);
  r.mean = a / (a + b);
  r.lo = boost::math::quantile(post, (1 - confidence) / 2);
  r.hi = boost::math::quantile(post, 1 - (1 - confidence) / 2);
  r.entropy = beta_entropy(a, b);
  return r;
}

}  // namespace cnnfi::stats
