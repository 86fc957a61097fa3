#include "stats/sample_size.h"

#include <cmath>

#include <boost/math/distributions/normal.hpp>

#include "util/error.h"

namespace cnnfi::stats {

double sample_size_real(double population, double p, const SampleSpec& s) {
  if (population <= 0) return 0;
  if (!(s.error > 0)) fail("error margin must be > 0, got {}", s.error);
  if (!(p > 0 && p < 1)) return 0;  // a certain outcome needs no sample (p is clamped by callers)
  return population / (1.0 + s.error * s.error * (population - 1.0) / (s.t * s.t * p * (1.0 - p)));
}

int64_t sample_size(int64_t population, double p, const SampleSpec& s) {
  const auto n = static_cast<int64_t>(std::llround(sample_size_real(static_cast<double>(population), p, s)));
  return std::min(n, population);
}

double error_margin(int64_t population, int64_t n, double p, double t) {
  if (n <= 0) return 1.0;
  if (n >= population) return 0.0;
  // From eq. (1): e^2 = t^2 p (1 - p) (N - n) / (n (N - 1)).
  const double N = static_cast<double>(population), m = static_cast<double>(n);
  return t * std::sqrt(p * (1 - p) * (N - m) / (m * (N - 1)));
}

double t_for_confidence(double confidence) {
  if (!(confidence > 0 && confidence < 1)) fail("confidence must be in (0, 1), got {}", confidence);
  if (std::abs(confidence - 0.99) < 1e-12) return 2.58;
  if (std::abs(confidence - 0.95) < 1e-12) return 1.96;
  if (std::abs(confidence - 0.90) < 1e-12) return 1.645;
  return boost::math::quantile(boost::math::normal(), 0.5 + confidence / 2);
}

namespace {

Plan base(const std::string& method, const std::vector<std::string>& names, const std::vector<int64_t>& pops) {
  if (names.size() != pops.size()) fail("plan: {} names for {} populations", names.size(), pops.size());
  Plan p;
  p.method = method;
  for (size_t l = 0; l < pops.size(); ++l) {
    LayerPlan lp;
    lp.name = names[l];
    lp.population = pops[l];
    p.total_population += pops[l];
    p.layers.push_back(lp);
  }
  return p;
}

}  // namespace

Plan plan_network(const std::vector<std::string>& names, const std::vector<int64_t>& pops, const SampleSpec& s) {
  Plan p = base("network", names, pops);
  p.total_sample = sample_size(p.total_population, 0.5, s);
  for (auto& l : p.layers)
    l.sample = std::llround(static_cast<double>(p.total_sample) * static_cast<double>(l.population) /
                            static_cast<double>(p.total_population));
  return p;
}

Plan plan_layer(const std::vector<std::string>& names, const std::vector<int64_t>& pops, const SampleSpec& s) {
  Plan p = base("layer", names, pops);
  for (auto& l : p.layers) {
    l.sample = sample_size(l.population, 0.5, s);
    p.total_sample += l.sample;
  }
  return p;
}

Plan plan_data_unaware(const std::vector<std::string>& names, const std::vector<int64_t>& pops, int bits,
                       const SampleSpec& s) {
  Plan p = plan_data_aware(names, pops, std::vector<double>(static_cast<size_t>(std::max(bits, 0)), 0.5), s);
  p.method = "data-unaware";
  return p;
}

Plan plan_data_aware(const std::vector<std::string>& names, const std::vector<int64_t>& pops,
                     const std::vector<double>& bit_p, const SampleSpec& s) {
  const int bits = static_cast<int>(bit_p.size());
  if (bits <= 0) fail("plan: bits per weight must be > 0, got {}", bits);
  Plan p = base("data-aware", names, pops);
  for (auto& l : p.layers) {
    if (l.population % bits != 0) fail("plan: layer '{}': population {} is not a multiple of {} bits", l.name, l.population, bits);
    for (int b = 0; b < bits; ++b) {
      const int64_t nb = l.population / bits;
      l.bit_population.push_back(nb);
      l.bit_sample.push_back(sample_size(nb, bit_p[static_cast<size_t>(b)], s));
      l.sample += l.bit_sample.back();
    }
    p.total_sample += l.sample;
  }
  return p;
}

}  // namespace cnnfi::stats
