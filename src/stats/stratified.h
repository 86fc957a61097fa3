// Estimates from a sampled (or exhaustive) fault-injection campaign, seed 004 style:
//   one stratum (a (layer, bit) subpopulation, or a whole layer): p = the observed critical
//   proportion of its n sampled faults, margin = eq. (1) solved for e with that p and the
//   finite population correction (stats/sample_size.h: error_margin);
//   several strata (a layer over its bits, a bit over the layers, the network): the stratified
//   estimate p = sum W_s p_s with W_s = N_s / N, and margin t sqrt(sum W_s^2 p_s (1 - p_s) / n_s
//   * (N_s - n_s) / (N_s - 1)), which is 0 for strata injected exhaustively.
// Adaptive sampling (beyond the seed): a stratum is sampled in rounds until its margin, with p
// guarded from below by 1/n (so that a stratum with no critical fault yet is not declared
// precise after a handful of draws), is at most e, or the stratum is exhausted.
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
};

Estimate estimate(const Stratum& s, double t);
Estimate combine(const std::vector<Stratum>& strata, double t);

/// The first round of an adaptive stratum.
constexpr int64_t kAdaptiveFirstRound = 128;
/// The sample size an adaptive stratum should reach next after observing p with n of N drawn,
/// or n itself when it is done (margin <= e, or n = N). Grows by at least a quarter per round.
int64_t adaptive_next(int64_t population, int64_t n, double p, double e, double t);

}  // namespace cnnfi::stats
