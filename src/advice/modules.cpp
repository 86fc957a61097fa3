#include "advice/modules.h"

#include <cmath>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "campaign/outcome.h"
#include "store/store.h"
#include "util/error.h"
#include "util/strings.h"

namespace cnnfi::advice {

using quant::kAllModules;
using quant::Module;

int64_t ModuleVulnerability::total_bits() const {
  int64_t n = 0;
  for (auto b : bits) n += b;
  return n;
}

double ModuleVulnerability::residual(uint32_t guarded) const {
  const int64_t total = total_bits();
  if (total <= 0) return 0;
  double sum = 0;
  for (auto m : kAllModules) {
    const auto i = static_cast<size_t>(m);
    if (!(guarded >> i & 1u)) sum += static_cast<double>(bits[i]) * c[i];
  }
  return sum / static_cast<double>(total);
}

bool is_quantized_store(const std::string& path) {
  store::Store st(path, store::OpenMode::read);
  return st.meta().kind == "quantized";
}

double per_fault_mle(const std::vector<std::array<int64_t, 3>>& groups) {
  // log L(c) = sum k log(1 - (1-c)^N) + (n - k) N log(1 - c); its derivative falls with c, so the
  // maximum is where it crosses zero (or at an end).
  int64_t any = 0, all = 0, n = 0;
  for (const auto& [N, images, k] : groups) {
    if (N <= 0 || images <= 0) continue;
    any += k, all += images - k, n += images;
  }
  if (n == 0 || any == 0) return 0;
  if (all == 0) return 1;
  auto slope = [&](double c) {
    double d = 0;
    for (const auto& [N, images, k] : groups) {
      if (N <= 0 || images <= 0) continue;
      // q = (1 - c)^N and 1 - q, accurate for tiny c.
      const double l = static_cast<double>(N) * std::log1p(-c);
      const double q = std::exp(l), one_minus_q = -std::expm1(l);
      if (k > 0) d += static_cast<double>(k) * static_cast<double>(N) * q / (1 - c) / one_minus_q;
      d -= static_cast<double>(images - k) * static_cast<double>(N) / (1 - c);
    }
    return d;
  };
  double lo = 1e-300, hi = 1 - 1e-15;
  for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; ++i) {
    const double mid = lo < 1e-12 ? std::sqrt(lo * hi) : 0.5 * (lo + hi);  // geometric while tiny
    (slope(mid) > 0 ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

ModuleVulnerability read_module_vulnerability(const std::vector<std::string>& stores) {
  if (stores.empty()) fail("harden: name at least one result store");
  ModuleVulnerability out;
  std::array<std::map<int64_t, std::array<int64_t, 2>>, quant::kModules> seen;  // N -> (images, critical)
  bool first = true;
  for (const auto& path : stores) {
    store::Store st(path, store::OpenMode::read);
    const store::Meta m = st.meta();
    if (m.kind != "quantized")
      fail("{}: a '{}' store; quantised-module advice reads stores of kind quantized only (weight-memory advice "
           "reads the others: harden them separately)", path, m.kind);
    if (m.extra.count("protection"))
      fail("{}: this campaign already ran with a protection; harden reads unprotected stores", path);
    if (!m.extra.count("quantized")) fail("{}: metadata 'quantized' is missing", path);
    nlohmann::json q;
    try {
      q = nlohmann::json::parse(m.extra.at("quantized"));
    } catch (const std::exception& e) {
      fail("{}: metadata 'quantized' is not JSON: {}", path, e.what());
    }
    std::array<int64_t, quant::kModules> bits{}, words{};
    try {
      for (const auto& l : q.at("layers")) {
        if (!l.at("fault_site").get<bool>()) continue;
        for (auto mod : kAllModules) {
          const int64_t b = l.at("bits").at(quant::to_string(mod)).get<int64_t>();
          if (b < 0 || b % quant::width(mod) != 0)
            fail("{}: metadata 'quantized': layer {} has {} {} bits", path, l.at("name").dump(), b, quant::to_string(mod));
          bits[static_cast<size_t>(mod)] += b;
          words[static_cast<size_t>(mod)] += b / quant::width(mod);
        }
      }
    } catch (const nlohmann::json::exception& e) {
      fail("{}: metadata 'quantized' is malformed: {}", path, e.what());
    }
    if (first) {
      out.model = m.model, out.model_sha256 = m.model_sha256, out.bits = bits, out.words = words;
      first = false;
    } else if (m.model_sha256 != out.model_sha256 || bits != out.bits) {
      fail("{}: another model, or other fault-site layers, than {}; harden one at a time", path, stores.front());
    }
    const auto policy = campaign::parse_nonfinite(m.nonfinite);
    int64_t used = 0;
    for (const auto& r : st.trials()) {
      if (!r.done || !r.images || r.x <= 0) continue;
      // point "modules=SET faults=N"
      const auto sp = r.point.find(' ');
      if (r.point.rfind("modules=", 0) != 0 || sp == std::string::npos)
        fail("{}: trial {} has point '{}', not 'modules=SET faults=N'", path, r.trial, r.point);
      const auto set = quant::ModuleSet::parse(r.point.substr(8, sp - 8));
      int on = 0;
      Module which = Module::i8;
      for (auto mod : kAllModules)
        if (set.has(mod)) ++on, which = mod;
      if (on != 1) continue;  // sets of several modules cannot be attributed
      const auto n = static_cast<int64_t>(std::llround(r.x));
      const auto c = campaign::count(r.facts, policy);
      auto& cell = seen[static_cast<size_t>(which)][n];
      cell[0] += c.images, cell[1] += c.critical + c.due;
      ++used;
    }
    out.stores.push_back(fmt::format("{} (quantized, {} single-module trials)", path, used));
  }
  std::vector<std::string> missing;
  for (auto mod : kAllModules) {
    const auto i = static_cast<size_t>(mod);
    std::vector<std::array<int64_t, 3>> groups;
    for (const auto& [n, cell] : seen[i]) groups.push_back({n, cell[0], cell[1]}), out.images[i] += cell[0];
    out.c[i] = per_fault_mle(groups);
    if (!out.images[i] && out.bits[i] > 0) missing.push_back(quant::to_string(mod));
  }
  if (missing.size() == quant::kModules)
    fail("{}: no trial injects one module alone; run the campaign with modules: [i8, w8, b32, o32, o8] "
         "(seed 003's one-module-at-a-time experiment)", join(stores, ", "));
  return out;
}

std::vector<Plan> module_candidates(const ModuleVulnerability& v, const std::vector<fault::Scheme>& schemes) {
  std::vector<Plan> out;
  Plan none;
  none.masks = {0};
  none.describe = "no protection";
  none.residual = v.unprotected();
  out.push_back(none);
  uint32_t measurable = 0;
  for (auto m : kAllModules)
    if (v.bits[static_cast<size_t>(m)] > 0) measurable |= 1u << static_cast<int>(m);
  for (const auto s : schemes)
    for (uint32_t set = 1; set < (1u << quant::kModules); ++set) {
      if ((set & measurable) != set) continue;
      Plan p;
      p.scheme = s;
      p.masks = {set};
      std::vector<std::string> names;
      for (auto m : kAllModules) {
        const auto i = static_cast<size_t>(m);
        if (!(set >> i & 1u)) continue;
        names.push_back(quant::to_string(m));
        p.overhead_bits += v.words[i] * fault::overhead_bits(s, quant::width(m));
      }
      p.residual = v.residual(set);
      p.describe = fmt::format("{} of module{} {} in every layer", fault::to_string(s), names.size() > 1 ? "s" : "",
                               join(names, ", "));
      out.push_back(std::move(p));
    }
  return out;
}

std::vector<fault::ProtectionSpec> module_specs(const Plan& p) {
  if (p.scheme == fault::Scheme::none || p.masks.empty() || !p.masks[0]) return {};
  fault::ProtectionSpec s;
  s.scheme = p.scheme;
  std::vector<std::string> names;
  for (auto m : kAllModules)
    if (p.masks[0] >> static_cast<int>(m) & 1u) names.push_back(quant::to_string(m));
  s.modules = join(names, ",");
  return {s};
}

}  // namespace cnnfi::advice
