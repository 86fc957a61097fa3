#include "advice/harden.h"

#include <algorithm>
#include <map>
#include <numeric>

#include <fmt/format.h>

#include "util/strings.h"

namespace cnnfi::advice {

int64_t plan_overhead(const Vulnerability& v, fault::Scheme s, const std::vector<uint32_t>& masks) {
  int64_t bits = 0;
  for (size_t l = 0; l < v.layers.size(); ++l)
    bits += v.layers[l].words * fault::overhead_bits(s, __builtin_popcount(masks[l]));
  return bits;
}

double plan_residual(const Vulnerability& v, const std::vector<uint32_t>& masks) {
  return v.residual([&](size_t l, int b) { return (masks[l] >> b) & 1u; });
}

namespace {

std::string bit_list(uint32_t mask, int width) {
  std::vector<std::string> out;
  for (int b = width - 1; b >= 0; --b)
    if ((mask >> b) & 1u) out.push_back(std::to_string(b));
  return join(out, ",");
}

Plan make(const Vulnerability& v, fault::Scheme s, std::vector<uint32_t> masks, std::string describe) {
  Plan p;
  p.scheme = s;
  p.overhead_bits = plan_overhead(v, s, masks);
  p.residual = plan_residual(v, masks);
  p.masks = std::move(masks);
  p.describe = std::move(describe);
  return p;
}

}  // namespace

std::vector<Plan> candidates(const Vulnerability& v, const std::vector<fault::Scheme>& schemes) {
  const size_t L = v.layers.size();
  const int W = v.width;
  std::vector<Plan> out;
  out.push_back(make(v, fault::Scheme::none, std::vector<uint32_t>(L, 0), "no protection"));
  // Bits ranked by their harm over the whole memory.
  std::vector<double> harm(static_cast<size_t>(W), 0);
  for (size_t l = 0; l < L; ++l)
    for (int b = 0; b < W; ++b) harm[static_cast<size_t>(b)] += static_cast<double>(v.layers[l].words) * v.v[l][static_cast<size_t>(b)];
  std::vector<int> bits(static_cast<size_t>(W));
  std::iota(bits.begin(), bits.end(), 0);
  std::stable_sort(bits.begin(), bits.end(), [&](int a, int b) { return harm[static_cast<size_t>(a)] > harm[static_cast<size_t>(b)]; });
  for (const auto s : schemes) {
    if (s == fault::Scheme::none) continue;  // protects nothing: only the unprotected plan above
    uint32_t mask = 0;
    for (int k = 0; k < W; ++k) {
      if (harm[static_cast<size_t>(bits[static_cast<size_t>(k)])] <= 0) break;
      mask |= uint32_t{1} << bits[static_cast<size_t>(k)];
      out.push_back(make(v, s, std::vector<uint32_t>(L, mask),
                         fmt::format("{} of bit{} {} in every layer", fault::to_string(s), k ? "s" : "", bit_list(mask, W))));
    }
    if (s == fault::Scheme::tmr) {
      // Cells one at a time, most vulnerable first.
      std::vector<std::pair<size_t, int>> cells;
      for (size_t l = 0; l < L; ++l)
        for (int b = 0; b < W; ++b)
          if (v.v[l][static_cast<size_t>(b)] > 0) cells.emplace_back(l, b);
      std::stable_sort(cells.begin(), cells.end(), [&](const auto& a, const auto& b) {
        return v.v[a.first][static_cast<size_t>(a.second)] > v.v[b.first][static_cast<size_t>(b.second)];
      });
      std::vector<uint32_t> masks(L, 0);
      for (size_t i = 0; i < cells.size(); ++i) {
        masks[cells[i].first] |= uint32_t{1} << cells[i].second;
        out.push_back(make(v, s, masks, fmt::format("tmr of the {} most vulnerable (layer, bit) cells", i + 1)));
      }
    } else {
      // Whole layers, most harm removed per check bit first.
      std::vector<size_t> order(L);
      std::iota(order.begin(), order.end(), 0);
      auto layer_harm = [&](size_t l) {
        double h = 0;
        for (int b = 0; b < W; ++b) h += v.v[l][static_cast<size_t>(b)];
        return h / static_cast<double>(fault::overhead_bits(s, W));
      };
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return layer_harm(a) > layer_harm(b); });
      std::vector<uint32_t> masks(L, 0);
      const uint32_t all = W >= 32 ? ~uint32_t{0} : (uint32_t{1} << W) - 1;
      std::vector<std::string> names;
      for (size_t i = 0; i < L; ++i) {
        if (layer_harm(order[i]) <= 0) break;
        masks[order[i]] = all;
        names.push_back(v.layers[order[i]].name);
        std::string which = names.size() == L ? "every layer"
                            : names.size() <= 3 ? join(names, ", ")
                                                : fmt::format("{} layers ({}, {}, ... {})", names.size(), names[0], names[1],
                                                              names.back());
        out.push_back(make(v, s, masks, fmt::format("{} of whole words in {}", fault::to_string(s), which)));
      }
    }
  }
  return out;
}

std::vector<Plan> pareto(std::vector<Plan> plans) {
  std::stable_sort(plans.begin(), plans.end(), [](const Plan& a, const Plan& b) {
    return a.overhead_bits != b.overhead_bits ? a.overhead_bits < b.overhead_bits : a.residual < b.residual;
  });
  std::vector<Plan> front;
  for (auto& p : plans)
    if (front.empty() || p.residual < front.back().residual * (1 - 1e-12)) front.push_back(std::move(p));
  return front;
}

const Plan* recommend(const std::vector<Plan>& plans, double unprotected, double target) {
  if (unprotected <= 0) return nullptr;
  const Plan* best = nullptr;
  for (const auto& p : plans)
    if (p.scheme != fault::Scheme::none && p.residual <= target * unprotected &&
        (!best || p.overhead_bits < best->overhead_bits ||
         (p.overhead_bits == best->overhead_bits && p.residual < best->residual)))
      best = &p;
  return best;
}

std::vector<fault::ProtectionSpec> to_specs(const Vulnerability& v, const Plan& p) {
  std::map<uint32_t, std::vector<std::string>> by_mask;
  for (size_t l = 0; l < v.layers.size(); ++l)
    if (p.masks[l]) by_mask[p.masks[l]].push_back(v.layers[l].name);
  std::vector<fault::ProtectionSpec> out;
  for (const auto& [mask, names] : by_mask) {
    fault::ProtectionSpec s;
    s.scheme = p.scheme;
    s.bits = __builtin_popcount(mask) == v.width ? "all" : bit_list(mask, v.width);
    s.layers = names.size() == v.layers.size() ? fault::LayerSelection{} : fault::LayerSelection::of(names);
    out.push_back(s);
  }
  return out;
}

std::string format_bits(int64_t bits) {
  const double b = static_cast<double>(bits);
  if (bits < 1024) return fmt::format("{} bit", bits);
  if (bits < 1024 * 1024) return fmt::format("{:.1f} Kibit", b / 1024);
  if (bits < int64_t{1} << 30) return fmt::format("{:.1f} Mibit", b / (1 << 20));
  return fmt::format("{:.2f} Gibit", b / (1 << 30));
}

}  // namespace cnnfi::advice
