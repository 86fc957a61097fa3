#include "quant/guard.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "util/error.h"
#include "util/strings.h"

namespace cnnfi::quant {

ModuleGuard::ModuleGuard(const QuantizedModel& model, const std::vector<fault::ProtectionSpec>& specs)
    : guarded_(model.layers().size(), std::array<bool, kModules>{}) {
  std::vector<std::string> weights;
  for (const auto& l : model.layers()) weights.push_back(l.weight);
  for (const auto& spec : specs) {
    if (!spec.any()) continue;
    if (spec.modules.empty())
      fail("protection: kind quantized guards modules: give 'modules' (all or a list of i8, w8, b32, o32, o8), not 'bits'");
    if (scheme_ != fault::Scheme::none && scheme_ != spec.scheme)
      fail("protection: one scheme per campaign, got {} and {}", fault::to_string(scheme_), fault::to_string(spec.scheme));
    scheme_ = spec.scheme;
    const ModuleSet set = ModuleSet::parse(spec.modules);
    if (!spec.layers.regex.empty()) fail("protection.layers: kind quantized takes a list of weight names");
    std::vector<bool> on(weights.size(), spec.layers.all());
    for (const auto& name : spec.layers.names) {
      const auto it = std::find(weights.begin(), weights.end(), name);
      if (it == weights.end())
        fail("protection.layers: '{}' is not a quantised layer's weight; they are: {}", name, join(weights, ", "));
      on[static_cast<size_t>(it - weights.begin())] = true;
    }
    for (size_t l = 0; l < weights.size(); ++l)
      if (on[l])
        for (auto m : kAllModules) guarded_[l][static_cast<size_t>(m)] |= set.has(m);
  }
}

int64_t ModuleGuard::overhead_bits(const QuantizedModel& model) const {
  int64_t bits = 0;
  for (size_t l = 0; l < guarded_.size(); ++l)
    for (auto m : kAllModules)
      if (guards(static_cast<int>(l), m))
        bits += model.layers()[l].elements(m) * fault::overhead_bits(scheme_, width(m));
  return bits;
}

std::vector<Fault> ModuleGuard::apply(const std::vector<Fault>& faults, bool& detected) const {
  detected = false;
  if (!any()) return faults;
  // The flips of every guarded word, then the scheme's verdict on each word.
  using Word = std::tuple<int64_t, int, int, int64_t>;  // image, layer, module, element
  std::map<Word, uint32_t> words;
  std::vector<Fault> out;
  for (const auto& f : faults) {
    if (guards(f.layer, f.module))
      words[{f.image, f.layer, static_cast<int>(f.module), f.element}] ^= uint32_t{1} << f.bit;
    else
      out.push_back(f);
  }
  for (const auto& [w, flips] : words) {
    const auto m = static_cast<Module>(std::get<2>(w));
    const uint32_t mask = width(m) >= 32 ? ~uint32_t{0} : (uint32_t{1} << width(m)) - 1;
    const auto v = fault::protect(scheme_, mask, 0, flips);
    detected |= v.detected;
    for (int b = 0; b < width(m); ++b)
      if (v.word >> b & 1u) out.push_back(Fault{std::get<0>(w), std::get<1>(w), m, std::get<3>(w), b});
  }
  return out;
}

}  // namespace cnnfi::quant
