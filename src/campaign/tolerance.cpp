#include "campaign/tolerance.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <regex>

#include <nlohmann/json.hpp>

#include "campaign/summary.h"
#include "util/error.h"

namespace cnnfi::campaign {

std::vector<Tolerance> tolerance(const store::Store& st, double loss) {
  const auto meta = st.meta();
  if (meta.kind != "quantized") fail("{}: a {} campaign; fault tolerance is measured on quantized campaigns", st.path(), meta.kind);
  if (!(loss > 0 && loss < 1)) fail("accuracy loss {}: must be in (0, 1)", loss);
  const std::regex point("^modules=(\\S+) faults=(\\d+)$");
  std::map<std::string, std::vector<std::pair<double, double>>> curves;  // set -> (N, mean top-1)
  std::vector<std::string> order;
  for (const auto& p : summarize_points(st.trials())) {
    std::smatch m;
    if (!std::regex_match(p.point, m, point) || p.finished == 0) continue;
    if (!curves.count(m[1])) order.push_back(m[1]);
    const double n = std::strtod(m[2].str().c_str(), nullptr);  // digits only: never throws, huge -> inf
    if (!std::isfinite(n) || n > 1e15)
      fail("{}: damaged result store: point '{}' has a fault count out of range", st.path(), p.point);
    curves[m[1]].push_back({n, p.top1.mean});
  }
  const double golden = golden_top1(st.golden());
  std::map<std::string, int64_t> bits;
  if (meta.extra.count("quantized")) {
    try {
      const auto q = nlohmann::json::parse(meta.extra.at("quantized"));  // kept alive while iterating
      for (const auto& s : q.at("sets")) bits[s.at("name").get<std::string>()] = s.at("bits").get<int64_t>();
    } catch (const nlohmann::json::exception& e) {
      fail("{}: damaged result store: metadata 'quantized': {}", st.path(), e.what());
    }
  }
  std::vector<Tolerance> out;
  for (const auto& name : order) {
    auto c = curves[name];
    std::sort(c.begin(), c.end());
    Tolerance t;
    t.modules = name;
    t.fault_free = c.front().first == 0 ? c.front().second : golden;
    t.largest = c.back().first;
    t.bits = bits.count(name) ? bits[name] : 0;
    const double limit = t.fault_free - loss;
    double prev_n = 0, prev_a = t.fault_free;
    for (const auto& [n, a] : c) {
      if (a <= limit && n > 0) {
        t.faults = prev_a == a ? n : prev_n + (n - prev_n) * (prev_a - limit) / (prev_a - a);
        break;
      }
      prev_n = n;
      prev_a = a;
    }
    out.push_back(t);
  }
  return out;
}

}  // namespace cnnfi::campaign
