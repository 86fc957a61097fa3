#include "fault/generate.h"

#include <regex>
#include <set>
#include <tuple>

#include "util/error.h"
#include "util/strings.h"

namespace cnnfi::fault {

LayerSelection LayerSelection::parse(const std::string& spec) {
  LayerSelection s;
  if (spec.empty() || spec == "all") return s;
  if (starts_with(spec, "re:")) {
    s.regex = spec.substr(3);
    if (s.regex.empty()) fail("layers: 're:' needs a regular expression");
    return s;
  }
  for (const auto& name : split(spec, ',')) s.names.push_back(trim(name));
  return s;
}

LayerSelection LayerSelection::of(std::vector<std::string> names) {
  LayerSelection s;
  s.names = std::move(names);
  return s;
}

std::string LayerSelection::describe() const { return all() ? "all" : regex.empty() ? join(names, ", ") : "re:" + regex; }

std::vector<std::string> select_layers(const WeightInjector& inj, const LayerSelection& layers) {
  const auto& all = inj.params();
  if (layers.all()) return all;
  std::vector<std::string> out;
  if (!layers.regex.empty()) {
    std::regex re;
    try {
      re = std::regex(layers.regex);
    } catch (const std::regex_error& e) {
      fail("layers: bad regular expression '{}': {}", layers.regex, e.what());
    }
    for (const auto& p : all)
      if (std::regex_search(p, re)) out.push_back(p);
    if (out.empty()) fail("layers: 're:{}' matches none of: {}", layers.regex, join(all, ", "));
    return out;
  }
  for (const auto& n : layers.names) {
    if (std::find(all.begin(), all.end(), n) == all.end())
      fail("layers: unknown layer '{}'; the layers are: {}", n, join(all, ", "));
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  }
  return out;
}

std::vector<int> select_bits(const WeightInjector& inj, const std::string& param, const std::string& bits) {
  const auto& fmt = inj.format();
  const int width = fmt.width();
  std::set<int> out;
  if (bits.empty() || bits == "all") {
    for (int b = 0; b < width; ++b) out.insert(b);
    return {out.begin(), out.end()};
  }
  for (const auto& part : split(bits, ',')) {
    const std::string t = trim(part);
    if (!t.empty() && std::isalpha(static_cast<unsigned char>(t[0]))) {
      for (int b : fmt.field_bits(t, inj.params_of(param))) out.insert(b);
      continue;
    }
    const auto dash = t.find('-');
    char* e1 = nullptr;
    char* e2 = nullptr;
    const long lo = std::strtol(t.c_str(), &e1, 10);
    const long hi = dash == std::string::npos ? lo : std::strtol(t.c_str() + dash + 1, &e2, 10);
    // Digits on each side of a dash: "-" alone, "3-" and "-3" are not ranges.
    const bool digits = e1 != t.c_str() && (dash == std::string::npos || e2 != t.c_str() + dash + 1);
    if (t.empty() || !digits || (dash == std::string::npos ? *e1 != '\0' : (e1 != t.c_str() + dash || *e2 != '\0')) || lo < 0 ||
        hi >= width || lo > hi)
      fail("bits: '{}' is not a bit, range or field of {} (bits 0-{}; fields: sign, exponent, exponent-msb, "
           "mantissa, integer, fraction, magnitude)", t, fmt.name(), width - 1);
    for (long b = lo; b <= hi; ++b) out.insert(static_cast<int>(b));
  }
  return {out.begin(), out.end()};
}

std::vector<WeightFault> generate(const WeightInjector& inj, const GenerateSpec& spec, Rng& rng) {
  const int modes = (spec.total > 0) + (spec.per_bit > 0) + (spec.rate > 0);
  if (modes != 1) fail("fault count: give exactly one of count (total), per-bit or rate");
  if (spec.total < 0 || spec.per_bit < 0) fail("fault count: count {} and per-bit {} must not be negative", spec.total, spec.per_bit);
  if (spec.rate != 0 && !(spec.rate > 0 && spec.rate <= 1))
    fail("rate {}: faults per weight must be in (0, 1]", spec.rate);
  const auto layers = select_layers(inj, spec.layers);
  {
    // Distinct positions: a list cannot hold more faults than the selected memory has bits.
    int64_t elements = 0, bits = 0;
    for (const auto& p : layers) {
      elements += inj.numel(p);
      bits += inj.numel(p) * static_cast<int64_t>(select_bits(inj, p, spec.bits).size());
    }
    if (spec.total > bits)
      fail("count {}: the selected memory ({} layer(s)) holds only {} bits", spec.total, layers.size(), bits);
    if (spec.per_bit > elements)
      fail("per-bit {}: the selected layers hold only {} weights per bit position", spec.per_bit, elements);
  }
  std::set<std::tuple<std::string, int64_t, int>> used;
  std::vector<WeightFault> out;
  auto add = [&](const std::string& p, int64_t idx, int bit) {
    WeightFault f;
    f.id = spec.first_id + static_cast<int64_t>(out.size());
    f.param = p;
    f.flat_index = idx;
    f.bit = bit;
    f.model = spec.model;
    f.burst = spec.burst;
    out.push_back(f);
  };
  // Draws a distinct element of `p` for `bit` (falls back to a repeat after many collisions).
  auto draw = [&](const std::string& p, int bit) {
    const int64_t n = inj.numel(p);
    for (int attempt = 0; attempt < 64; ++attempt) {
      const auto idx = static_cast<int64_t>(rng.below(static_cast<uint64_t>(n)));
      if (used.insert({p, idx, bit}).second || attempt == 63) return add(p, idx, bit);
    }
  };
  if (spec.per_bit > 0) {
    // Per bit position, uniform over the selected layers' elements.
    std::set<int> all_bits;
    for (const auto& p : layers)
      for (int b : select_bits(inj, p, spec.bits)) all_bits.insert(b);
    int64_t total_elems = 0;
    for (const auto& p : layers) total_elems += inj.numel(p);
    for (int bit : all_bits)
      for (int64_t k = 0; k < spec.per_bit; ++k) {
        int64_t r = static_cast<int64_t>(rng.below(static_cast<uint64_t>(total_elems)));
        for (const auto& p : layers) {
          if (r < inj.numel(p)) {
            draw(p, bit);
            break;
          }
          r -= inj.numel(p);
        }
      }
    return out;
  }
  if (spec.rate > 0) {
    for (const auto& p : layers) {
      const auto bits = select_bits(inj, p, spec.bits);
      const int64_t k = std::max<int64_t>(1, static_cast<int64_t>(std::llround(spec.rate * inj.numel(p))));
      for (int64_t i = 0; i < k; ++i) draw(p, bits[rng.below(bits.size())]);
    }
    return out;
  }
  // Uniform over every (element, bit) of the selected memory.
  std::vector<std::pair<std::string, std::vector<int>>> mem;
  std::vector<int64_t> weight;
  int64_t total_bits = 0;
  for (const auto& p : layers) {
    mem.emplace_back(p, select_bits(inj, p, spec.bits));
    weight.push_back(inj.numel(p) * static_cast<int64_t>(mem.back().second.size()));
    total_bits += weight.back();
  }
  for (int64_t k = 0; k < spec.total; ++k) {
    int64_t r = static_cast<int64_t>(rng.below(static_cast<uint64_t>(total_bits)));
    for (size_t i = 0; i < mem.size(); ++i) {
      if (r < weight[i]) {
        const auto& bits = mem[i].second;
        draw(mem[i].first, bits[rng.below(bits.size())]);
        break;
      }
      r -= weight[i];
    }
  }
  return out;
}

}  // namespace cnnfi::fault
