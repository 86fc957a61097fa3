// Seed 004's data-aware criticality of each bit position (eq. 4-5), from the golden weights:
//   D_avg(i) = D_0->1(i) f0(i) + D_1->0(i) f1(i)
// where f0/f1 are the fractions of weights whose bit i is 0/1 and D_a->b the mean |faulty -
// golden| over those weights when bit i is flipped. p(i) is D_avg min-max normalised to
// [0, 0.5] over the bits that are not outliers.
// Outlier rule (the seed leaves it open): a bit is an outlier when its D_avg is not finite
// (the flip can make Inf/NaN) or lies above the upper Tukey fence Q3 + 1.5 IQR of log10 D_avg
// over the bits with finite, positive D_avg; outliers get p = 0.5 (the seed: "highest
// criticality"). A floor of p = 0.001 keeps every subpopulation sampled (p = 0 would give n = 0).
#pragma once
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "repr/format.h"

namespace cnnfi::stats {

constexpr double kMinDataAwareP = 0.001;

struct BitCriticality {
  int bit = 0;
  double f0 = 0, f1 = 0;    ///< fractions of weights with the bit at 0 / 1
  double d01 = 0, d10 = 0;  ///< mean distance of 0->1 / 1->0 flips (inf if any flip is non-finite)
  double d_avg = 0;
  bool outlier = false;
  double p = 0.5;
};

/// Criticality of every bit of `format` over all `weights` (each stored with its own params).
std::vector<BitCriticality> data_aware_p(const std::vector<at::Tensor>& weights, const repr::Format& format);

}  // namespace cnnfi::stats
