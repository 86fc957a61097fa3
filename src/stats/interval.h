// Confidence intervals for proportions that stay valid for small samples and near 0 and 1.
//   Clopper-Pearson (exact, two-sided): [B(a/2; x, n-x+1), B(1-a/2; x+1, n-x)] with B the beta
//   quantile; x may be fractional (a fault's share of critical images under the `pairs`
//   criticality: a [0,1] outcome is less variable than a 0/1 one of the same mean, so the
//   binomial bound stays conservative). 0 of 27 gives [0, 0.128] at 95 %, [0, 0.178] at 99 %.
//   Finite population (n drawn without replacement from N): each side of the Clopper-Pearson
//   interval is pulled toward x/n by the finite population correction sqrt((N - n) / (N - 1)), so
//   a stratum drawn whole has width 0 and one drawn from a huge population keeps the binomial
//   interval.
//   Stratified (several strata, weights W = N_s / N): the estimate sum W_s p_s with margin
//   z sqrt(sum W_s^2 p~_s (1 - p~_s) / (n_s + z^2) * fpc_s), where p~ = (x + z^2/2) / (n + z^2) is
//   Agresti-Coull's adjusted proportion: a sample with no critical fault is never "known to ± 0".
// Every interval is clipped to [0, 1].
#pragma once
#include <cstdint>
#include <string>

namespace cnnfi::stats {

struct Interval {
  double lo = 0, hi = 1;
  /// The larger distance from p to an end: the margin the interval achieves around p.
  double margin(double p) const;
};

/// The two-sided confidence of a normal quantile t (2.58 -> 0.99012).
double confidence_of_t(double t);
/// The normal quantile of a two-sided confidence (0.99 -> 2.5758).
double z_of_confidence(double confidence);

/// Clopper-Pearson interval of x successes in n trials (x real in [0, n]).
Interval clopper_pearson(double x, double n, double confidence);
/// The same for n drawn without replacement from a population of N (finite population correction).
Interval clopper_pearson_finite(double x, int64_t n, int64_t N, double confidence);
/// Wilson score interval of x in n.
Interval wilson(double x, double n, double confidence);

/// The name cnnfi prints beside the intervals of sampled campaigns.
constexpr const char* kProportionMethod =
    "Clopper-Pearson (exact) per stratum with finite population correction; stratified: Agresti-Coull variances";

}  // namespace cnnfi::stats
