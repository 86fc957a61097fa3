#include "fault/protection.h"

#include <map>

#include <fmt/format.h>

#include "fault/generate.h"
#include "fault/injector.h"
#include "util/error.h"

namespace cnnfi::fault {

std::string to_string(Scheme s) {
  switch (s) {
    case Scheme::none: return "none";
    case Scheme::tmr: return "tmr";
    case Scheme::secded: return "secded";
    case Scheme::parity: return "parity";
  }
  return "?";
}

Scheme parse_scheme(const std::string& s) {
  if (s == "tmr") return Scheme::tmr;
  if (s == "secded") return Scheme::secded;
  if (s == "parity") return Scheme::parity;
  if (s == "none") return Scheme::none;
  fail("protection scheme '{}' is not one of tmr, secded, parity, none", s);
}

int64_t overhead_bits(Scheme s, int guarded) {
  if (guarded <= 0 || s == Scheme::none) return 0;
  switch (s) {
    case Scheme::tmr: return 2 * int64_t{guarded};
    case Scheme::parity: return 1;
    case Scheme::secded: {
      int r = 0;
      while ((int64_t{1} << r) < guarded + r + 1) ++r;
      return r + 1;  // Hamming check bits, plus the overall parity bit of double-error detection
    }
    case Scheme::none: break;
  }
  return 0;
}

WordVerdict protect(Scheme s, uint32_t mask, uint32_t old_word, uint32_t new_word) {
  const uint32_t hit = (old_word ^ new_word) & mask;
  const int n = __builtin_popcount(hit);
  const uint32_t restored = (new_word & ~mask) | (old_word & mask);
  switch (s) {
    case Scheme::none: return {new_word, false};
    case Scheme::tmr: return {restored, false};
    case Scheme::secded:
      if (n == 1) return {restored, false};
      if (n == 2) return {new_word, true};
      return {new_word, false};
    case Scheme::parity:
      if (n % 2 == 1) return {restored, false};  // detected, reloaded from the golden copy
      return {new_word, false};
  }
  return {new_word, false};
}

std::string ProtectionSpec::describe() const {
  if (!any()) return "none";
  if (!modules.empty()) return fmt::format("{} of modules {} in layers {}", to_string(scheme), modules, layers.describe());
  return fmt::format("{} of bits {} in layers {}", to_string(scheme), bits, layers.describe());
}

namespace {

Scheme one_scheme(const std::vector<ProtectionSpec>& specs) {
  Scheme s = Scheme::none;
  for (const auto& p : specs) {
    if (!p.any()) continue;
    if (!p.modules.empty())
      fail("protection: 'modules' ({}) guards quantised arithmetic (kind quantized); weight memory is guarded by 'bits'",
           p.modules);
    if (s != Scheme::none && s != p.scheme)
      fail("protection: one scheme per campaign, got {} and {}", to_string(s), to_string(p.scheme));
    s = p.scheme;
  }
  return s;
}

std::map<std::string, uint32_t> masks_of(const WeightInjector& inj, const std::vector<ProtectionSpec>& specs) {
  std::map<std::string, uint32_t> masks;
  for (const auto& spec : specs) {
    if (!spec.any()) continue;
    for (const auto& p : select_layers(inj, spec.layers))
      for (int b : select_bits(inj, p, spec.bits)) masks[p] |= uint32_t{1} << b;
  }
  return masks;
}

int64_t overhead_of(const WeightInjector& inj, Scheme s, const std::map<std::string, uint32_t>& masks) {
  int64_t bits = 0;
  for (const auto& [p, m] : masks) bits += inj.numel(p) * overhead_bits(s, __builtin_popcount(m));
  return bits;
}

}  // namespace

int64_t install_protection(WeightInjector& inj, const std::vector<ProtectionSpec>& specs) {
  const Scheme s = one_scheme(specs);
  const auto masks = masks_of(inj, specs);
  inj.guard(s, masks);
  return overhead_of(inj, s, masks);
}

int64_t protection_overhead(const WeightInjector& inj, const std::vector<ProtectionSpec>& specs) {
  return overhead_of(inj, one_scheme(specs), masks_of(inj, specs));
}

}  // namespace cnnfi::fault
