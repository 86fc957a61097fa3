#include "stats/data_aware.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <ATen/ATen.h>

#include "util/error.h"

namespace cnnfi::stats {

namespace {

const std::vector<PRuleEntry> kPRules = {
    {PRule::fence, "fence", "eq. (4)-(5) on these weights, log-scale Tukey outliers -> 0.5, floor 0.001 (cnnfi)"},
    {PRule::authors, "authors", "the fixed per-bit p of the seed-004 authors' code (FP32; reproduces their n)"},
};

// The seed-004 authors' p per FP32 bit, from bit 31 down to bit 23; bits 22..0 get
// kAuthorsMantissaP. Recovered by inverting eq. (1) on every cell of their
// n_tuning_scenario_1.csv (ResNet-20, 20 layers, and MobileNetV2, 54 layers, e = 0.01,
// t = 2.58): each value lies inside the interval every cell allows, and with them every cell of
// both tables comes out exactly. They are round numbers (three significant digits).
constexpr double kAuthorsExponentP[9] = {0.00214, 0.4917, 0.00045, 0.00045, 0.00046, 0.00341, 0.02772, 0.00524, 0.00036};
constexpr double kAuthorsMantissaP = 0.0001;

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * (v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos)), hi = static_cast<size_t>(std::ceil(pos));
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

void apply_fence(std::vector<BitCriticality>& out) {
  std::vector<double> logs;
  for (const auto& c : out)
    if (std::isfinite(c.d_avg) && c.d_avg > 0) logs.push_back(std::log10(c.d_avg));
  const double fence = logs.size() >= 4 ? quantile(logs, 0.75) + 1.5 * (quantile(logs, 0.75) - quantile(logs, 0.25))
                                        : std::numeric_limits<double>::infinity();
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (auto& c : out) {
    c.outlier = !std::isfinite(c.d_avg) || (c.d_avg > 0 && std::log10(c.d_avg) > fence);
    if (!c.outlier) {
      lo = std::min(lo, c.d_avg);
      hi = std::max(hi, c.d_avg);
    }
  }
  for (auto& c : out) {
    if (c.outlier) {
      c.p = 0.5;
      c.source = "outlier";
      continue;
    }
    const double norm = hi > lo ? (c.d_avg - lo) / (hi - lo) * 0.5 : 0.5;
    c.p = std::max(kMinDataAwareP, norm);
    c.source = norm < kMinDataAwareP ? "floor" : "min-max";
  }
}

}  // namespace

const std::vector<PRuleEntry>& p_rules() { return kPRules; }

PRule default_p_rule(const repr::Format& format) { return format.name() == "fp32" ? PRule::authors : PRule::fence; }

PRule parse_p_rule(const std::string& name) {
  std::string names;
  for (const auto& r : kPRules) {
    if (name == r.name) return r.rule;
    names += (names.empty() ? "" : ", ") + std::string(r.name);
  }
  fail("p rule '{}' is not one of {}", name, names);
}

std::string to_string(PRule rule) {
  for (const auto& r : kPRules)
    if (r.rule == rule) return r.name;
  return "?";
}

double authors_p(int bit) {
  if (bit < 0 || bit > 31) fail("the authors' p table covers FP32 bits 0..31, not bit {}", bit);
  return bit >= 23 ? kAuthorsExponentP[31 - bit] : kAuthorsMantissaP;
}

std::vector<BitCriticality> data_aware_p(const std::vector<at::Tensor>& weights, const repr::Format& format, PRule rule,
                                         const std::vector<repr::Params>& given) {
  if (rule == PRule::authors && format.name() != "fp32")
    fail("p rule 'authors' is the seed-004 authors' table for fp32 weights; format {} needs p rule 'fence'",
         format.name());
  const int width = format.width();
  std::vector<double> n0(width, 0), n1(width, 0), s01(width, 0), s10(width, 0);
  for (size_t wi = 0; wi < weights.size(); ++wi) {
    const at::Tensor c = weights[wi].to(at::kFloat).contiguous();
    const repr::Params params = wi < given.size() ? given[wi] : format.choose(c);
    const float* p = c.data_ptr<float>();
    for (int64_t i = 0; i < c.numel(); ++i) {
      const uint32_t word = format.encode(p[i], params, i);
      const double golden = format.decode(word, params, i);
      for (int b = 0; b < width; ++b) {
        const double faulty = format.decode(word ^ (1u << b), params, i);
        const double d = std::isfinite(faulty) ? std::abs(faulty - golden) : std::numeric_limits<double>::infinity();
        if ((word >> b) & 1u) {
          n1[b] += 1;
          s10[b] += d;
        } else {
          n0[b] += 1;
          s01[b] += d;
        }
      }
    }
  }
  std::vector<BitCriticality> out(width);
  for (int b = 0; b < width; ++b) {
    auto& c = out[b];
    c.bit = b;
    const double total = n0[b] + n1[b];
    c.f0 = total ? n0[b] / total : 0;
    c.f1 = total ? n1[b] / total : 0;
    c.d01 = n0[b] ? s01[b] / n0[b] : 0;
    c.d10 = n1[b] ? s10[b] / n1[b] : 0;
    c.d_avg = (c.f0 > 0 ? c.d01 * c.f0 : 0) + (c.f1 > 0 ? c.d10 * c.f1 : 0);
  }
  if (rule == PRule::fence) {
    apply_fence(out);
  } else {
    for (auto& c : out) {
      c.p = authors_p(c.bit);
      c.source = "authors' table";
    }
  }
  return out;
}

}  // namespace cnnfi::stats
