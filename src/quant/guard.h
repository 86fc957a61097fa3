// Protection of the quantised modules (campaign key `protection: {scheme, modules, layers}` of kind
// quantized; what `cnnfi harden` proposes from the quantised stores): a scheme guards every bit
// of the chosen modules of the chosen layers, one code word per module element (an 8-bit or a
// 32-bit word), with the rules of fault/protection.h:
//   tmr     every fault in a guarded word is outvoted
//   secded  one fault in a word is corrected, two are detected (the image is a DUE), more pass
//   parity  an odd number of faults is detected and the word reloaded (corrected), even passes
// Faults land on the data bits at the same rate as without protection (the check bits and
// replicas are assumed fault-free), so the same seed draws the same faults with and without it.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "fault/protection.h"
#include "quant/model.h"

namespace cnnfi::quant {

class ModuleGuard {
 public:
  ModuleGuard() = default;
  /// Resolves `specs` (each with `modules` set; layers named by their weight initializer) against
  /// the model; specs without modules, unknown layers or modules and two schemes are errors.
  ModuleGuard(const QuantizedModel& model, const std::vector<fault::ProtectionSpec>& specs);
  bool any() const { return scheme_ != fault::Scheme::none; }
  fault::Scheme scheme() const { return scheme_; }
  bool guards(int layer, Module m) const {
    return any() && guarded_[static_cast<size_t>(layer)][static_cast<size_t>(m)];
  }
  /// Check bits the protection adds to one forward pass (per image for i8, o32, o8; per layer
  /// for w8, b32, as module.h counts vulnerable bits).
  int64_t overhead_bits(const QuantizedModel& model) const;
  /// What the computation sees of one image's `faults`: the faults that get through, and
  /// whether an uncorrectable error was detected.
  std::vector<Fault> apply(const std::vector<Fault>& faults, bool& detected) const;

 private:
  fault::Scheme scheme_ = fault::Scheme::none;
  std::vector<std::array<bool, kModules>> guarded_;  ///< [layer][module]
};

}  // namespace cnnfi::quant
