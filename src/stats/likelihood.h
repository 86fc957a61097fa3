// The likelihood that a layer is fault-tolerant (seed 002, Fig. 6; the seed names an
// "entropy-based measure over 100 trials" without a formula; this is cnnfi's, derived in
// docs/seed002.md). Of T trials with faults in one layer, k were tolerated: the accuracy stayed
// within `loss` of the fault-free accuracy. The layer's probability of tolerating such a fault
// load is p, with the Jeffreys prior Beta(1/2, 1/2) and so the posterior Beta(k + 1/2, T - k + 1/2):
//   likelihood  the posterior mean (k + 1/2) / (T + 1)
//   interval    the central 95 % posterior interval
//   entropy     the posterior's differential entropy (nats): how much is still unknown about p
//               after T trials (0 for a uniform belief; more negative = better known)
#pragma once
#include <cstdint>

namespace cnnfi::stats {

struct ToleranceLikelihood {
  int64_t trials = 0, tolerated = 0;
  double mean = 0, lo = 0, hi = 0, entropy = 0;
};

ToleranceLikelihood tolerance_likelihood(int64_t tolerated, int64_t trials, double confidence = 0.95);
/// Differential entropy of Beta(a, b) in nats.
double beta_entropy(double a, double b);

}  // namespace cnnfi::stats
