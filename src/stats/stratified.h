// Estimates from a sampled (or exhaustive) fault-injection campaign, seed 004 style, with
// intervals that stay valid for small samples and near 0 and 1 (stats/interval.h):
//   one stratum (a (layer, bit) subpopulation, or a whole layer): p = the observed critical
//   proportion of its n sampled faults; its interval is Clopper-Pearson with the finite population
//   correction, and its margin the larger distance from p to an end of that interval (0/27 at
//   99 % is [0, 0.178], never "± 0"); a stratum drawn whole is exact (margin 0);
//   several strata (a layer over its bits, a bit over the layers, the network): the stratified
//   estimate p = sum W_s p_s with W_s = N_s / N, and margin t sqrt(sum W_s^2 p~_s (1 - p~_s) /
//   (n_s + t^2) * (N_s - n_s) / (N_s - 1)) with Agresti-Coull's p~_s = (x_s + t^2/2) / (n_s + t^2),
//   so strata with no critical fault still add their uncertainty; the interval is clipped to [0, 1].
// Adaptive sampling and the sfi top-up: a stratum is sampled in rounds until its Clopper-Pearson
// margin at the observed p is at most e, or the stratum is exhausted.
#pragma once
#include <cstdint>
#include <vector>

namespace cnnfi::stats {

struct Stratum {
  int64_t population = 0;  ///< N_s
  int64_t sample = 0;      ///< n_s
  double p = 0;            ///< observed critical proportion
};

struct Estimate {
  int64_t population = 0, sample = 0;
  double p = 0, margin = 0;
  double lo = 0, hi = 1;  ///< the interval, within [0, 1]; margin = max(p - lo, hi - p)
};

Estimate estimate(const Stratum& s, double t);
Estimate combine(const std::vector<Stratum>& strata, double t);

/// The first round of an adaptive stratum.
constexpr int64_t kAdaptiveFirstRound = 128;
/// The sample size an adaptive stratum should reach next after observing p with n of N drawn,
/// or n itself when it is done (Clopper-Pearson margin <= e, or n = N). Grows by at least a
/// quarter per round.
int64_t adaptive_next(int64_t population, int64_t n, double p, double e, double t);

}  // namespace cnnfi::stats
