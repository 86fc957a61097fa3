// The hardening advisor: protection plans for weight memory, their exact memory overhead and the
// residual vulnerability predicted from a Vulnerability table, the Pareto set of the two, and a
// recommendation. Candidates, per scheme (fault/protection.h):
//   network-wide  the k most harmful bit positions (ranked by their summed vulnerability) of
//                 every word, k = 1..width;
//   per layer     tmr: (layer, bit) cells one by one, most vulnerable first (TMR costs the same
//                 per guarded bit, so this order is optimal for it); secded and parity: whole
//                 layers' words, most harmful per check bit first.
// Prediction: a fault on a guarded bit is removed (under single-bit faults TMR and SEC-DED
// correct it, parity detects it and reloads the word). Multi-bit faults in one word are what
// separates the schemes: `cnnfi harden --verify` measures that by simulating the plan.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "advice/vulnerability.h"
#include "fault/protection.h"

namespace cnnfi::advice {

struct Plan {
  fault::Scheme scheme = fault::Scheme::none;
  std::vector<uint32_t> masks;  ///< guarded bits per layer (Vulnerability::layers order)
  std::string describe;         ///< e.g. "tmr of bits 30,29 in every layer"
  int64_t overhead_bits = 0;    ///< check bits added to the weight memory
  double residual = 0;          ///< predicted critical-or-DUE rate per fault (uniform over the memory)
};

/// Check bits of a plan: per layer, words x overhead_bits(scheme, guarded bits).
int64_t plan_overhead(const Vulnerability& v, fault::Scheme s, const std::vector<uint32_t>& masks);
double plan_residual(const Vulnerability& v, const std::vector<uint32_t>& masks);

std::vector<Plan> candidates(const Vulnerability& v, const std::vector<fault::Scheme>& schemes);
/// The plans no other plan beats on both overhead and residual, by increasing overhead (the
/// unprotected memory first).
std::vector<Plan> pareto(std::vector<Plan> plans);
/// The cheapest of `plans` (with protection) whose residual is at most `target` x the unprotected
/// rate; null when none is (or nothing is vulnerable).
const Plan* recommend(const std::vector<Plan>& plans, double unprotected, double target);
/// The plan as a campaign's `protection` list (one entry per set of layers sharing a mask).
std::vector<fault::ProtectionSpec> to_specs(const Vulnerability& v, const Plan& p);
/// Bits as text: "1 bit" .. "12.3 Mibit" (binary prefixes: 1 Mibit = 2^20 bits).
std::string format_bits(int64_t bits);

}  // namespace cnnfi::advice
