// Statistical fault injection sample sizes (seed 004, Ruospo et al., DATE 2023).
//   eq. (1): n = N / (1 + e^2 (N - 1) / (t^2 p (1 - p)))   (finite population correction)
//   eq. (3): the same per (bit, layer) subpopulation, summed
// n is rounded to the nearest integer, as the seed's Table I is (t = 2.58 for 99 %, 1.96 for 95 %).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace cnnfi::stats {

struct SampleSpec {
  double error = 0.01;  ///< e, the error margin (a fraction)
  double t = 2.58;      ///< the normal quantile of the confidence (2.58 for 99 %)
};

/// eq. (1) before rounding.
double sample_size_real(double population, double p, const SampleSpec& s);
/// eq. (1) rounded to nearest, at most the population.
int64_t sample_size(int64_t population, double p, const SampleSpec& s);
/// eq. (1) solved for e: the error margin of an estimate from n of N with proportion p.
double error_margin(int64_t population, int64_t n, double p, double t);
/// t for a two-sided confidence level as the seed uses it: 0.99 -> 2.58, 0.95 -> 1.96, 0.90 ->
/// 1.645; other levels from the normal quantile.
double t_for_confidence(double confidence);

struct LayerPlan {
  std::string name;
  int64_t population = 0;  ///< N of the layer
  int64_t sample = 0;      ///< n of the layer (sum over bits for per-bit plans)
  std::vector<int64_t> bit_population, bit_sample;  ///< per-bit plans only
};

struct Plan {
  std::string method;
  int64_t total_population = 0;
  int64_t total_sample = 0;  ///< network-wise: n of the whole network; else the sum over layers
  std::vector<LayerPlan> layers;
};

/// `populations[l]` = N of layer l (weights x bits x 2 for stuck-at, weights x bits for flips).
/// Network-wise: eq. (1) on the whole network, n shared among layers in proportion to N
/// (rounded to nearest, as Table I).
Plan plan_network(const std::vector<std::string>& names, const std::vector<int64_t>& populations,
                  const SampleSpec& s);
/// Layer-wise: eq. (1) per layer, p = 0.5.
Plan plan_layer(const std::vector<std::string>& names, const std::vector<int64_t>& populations,
                const SampleSpec& s);
/// Data-unaware: eq. (3) per (bit, layer) with p = 0.5; `bits` bits per weight, each bit's
/// subpopulation is populations[l] / bits.
Plan plan_data_unaware(const std::vector<std::string>& names, const std::vector<int64_t>& populations, int bits,
                       const SampleSpec& s);

/// Data-aware: eq. (3) per (bit, layer) with p = bit_p[bit] (stats/data_aware.h).
Plan plan_data_aware(const std::vector<std::string>& names, const std::vector<int64_t>& populations,
                     const std::vector<double>& bit_p, const SampleSpec& s);

}  // namespace cnnfi::stats
