#include "stats/data_aware.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <ATen/ATen.h>

namespace cnnfi::stats {

namespace {

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * (v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos)), hi = static_cast<size_t>(std::ceil(pos));
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

}  // namespace

std::vector<BitCriticality> data_aware_p(const std::vector<at::Tensor>& weights, const repr::Format& format) {
  const int width = format.width();
  std::vector<double> n0(width, 0), n1(width, 0), s01(width, 0), s10(width, 0);
  for (const auto& w : weights) {
    const at::Tensor c = w.to(at::kFloat).contiguous();
    const repr::Params params = format.choose(c);
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
  std::vector<double> logs;
  for (int b = 0; b < width; ++b) {
    auto& c = out[b];
    c.bit = b;
    const double total = n0[b] + n1[b];
    c.f0 = total ? n0[b] / total : 0;
    c.f1 = total ? n1[b] / total : 0;
    c.d01 = n0[b] ? s01[b] / n0[b] : 0;
    c.d10 = n1[b] ? s10[b] / n1[b] : 0;
    c.d_avg = (c.f0 > 0 ? c.d01 * c.f0 : 0) + (c.f1 > 0 ? c.d10 * c.f1 : 0);
    if (std::isfinite(c.d_avg) && c.d_avg > 0) logs.push_back(std::log10(c.d_avg));
  }
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
      continue;
    }
    const double norm = hi > lo ? (c.d_avg - lo) / (hi - lo) * 0.5 : 0.5;
    c.p = std::max(kMinDataAwareP, norm);
  }
  return out;
}

}  // namespace cnnfi::stats
