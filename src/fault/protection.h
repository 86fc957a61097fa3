// Protection of weight memory against faults (what `cnnfi harden` proposes, simulated so that its
// effect is measured): a scheme guards chosen bit positions of every word of chosen layers.
//   tmr     triple modular redundancy of the guarded bits: every fault on them is outvoted
//   secded  SEC-DED ECC (extended Hamming) over the guarded bits of a word: one flipped guarded
//           bit is corrected, two are detected (a detected unrecoverable error), more pass
//   parity  one parity bit over the guarded bits of a word, with reload from a golden copy: an odd
//           number of flipped guarded bits is detected and the word reloaded (corrected); an even
//           number passes undetected
// Memory overhead per word of k guarded bits: tmr 2k, secded r + 1 with 2^r >= k + r + 1, parity 1.
// One word = one stored weight (the format's width). Faults land on the data bits only: the check
// bits and replicas are assumed fault-free (a fault there is corrected or detected by the same
// code, so this is exact for TMR and SEC-DED under single faults). Activation faults are not
// guarded (protection is of weight memory).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "fault/selection.h"

namespace cnnfi::fault {

enum class Scheme { none, tmr, secded, parity };
std::string to_string(Scheme s);
/// tmr | secded | parity; throws naming the allowed ones.
Scheme parse_scheme(const std::string& s);
/// Check bits a scheme adds to one word whose `guarded` bits it protects.
int64_t overhead_bits(Scheme s, int guarded);

/// A protection as a campaign names it (campaign key `protection: {scheme, bits, layers}`).
struct ProtectionSpec {
  Scheme scheme = Scheme::none;
  std::string bits = "all";  ///< bits of every word guarded (same syntax as the campaign's `bits`)
  LayerSelection layers;     ///< guarded layers (all)
  /// Quantised modules guarded (kind quantized: "all" or a list such as "b32,o32"); empty: the
  /// protection is of weight memory.
  std::string modules;
  bool any() const { return scheme != Scheme::none; }
  std::string describe() const;
};

/// What a protection makes of one word when faults changed `old_word` into `new_word`.
struct WordVerdict {
  uint32_t word = 0;     ///< the word the computation reads
  bool detected = false; ///< an uncorrectable error was detected
};
WordVerdict protect(Scheme s, uint32_t mask, uint32_t old_word, uint32_t new_word);

class WeightInjector;
/// Resolves `specs` (one scheme, guarded bits per layer; a layer named twice guards the union)
/// against the injector's layers and format and installs them; unknown layers or bits are errors
/// naming them, as are two schemes. Returns the check bits added to the weight memory.
int64_t install_protection(WeightInjector& inj, const std::vector<ProtectionSpec>& specs);
/// The check bits `specs` would add (same rules, nothing installed).
int64_t protection_overhead(const WeightInjector& inj, const std::vector<ProtectionSpec>& specs);

}  // namespace cnnfi::fault
