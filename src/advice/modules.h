// The hardening advisor for quantised arithmetic: from stores of kind quantized (seed 003's five
// modules i8, w8, b32, o32, o8 of every quantised layer, quant/module.h), how harmful one fault in
// each module is, and which modules to guard (quant/guard.h) at what cost.
//   c_m   the probability that one fault in module m makes an image's result critical or a DUE.
//         A trial with N faults per inference in module set {m} gives k of n images critical;
//         with independent faults P(not critical) = (1 - c_m)^N, and c_m is the maximum-
//         likelihood value over every such trial of the stores (all N > 0 pooled).
//   plans every non-empty set of measured modules, per scheme, guarded in every fault-site layer;
//         overhead = check bits per forward pass (words x overhead_bits(scheme, word width));
//         residual = sum over unguarded modules of bits_m c_m / all vulnerable bits: the
//         critical-or-DUE rate of one fault uniform over the vulnerable bits (eq. 3.1's rate).
// Modules measured only together (the set "all") cannot be told apart: they are refused.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "advice/harden.h"
#include "quant/module.h"

namespace cnnfi::advice {

struct ModuleVulnerability {
  std::string model, model_sha256;
  std::array<int64_t, quant::kModules> bits{};   ///< vulnerable bits per forward pass (fault-site layers)
  std::array<int64_t, quant::kModules> words{};  ///< words (module elements) per forward pass
  std::array<double, quant::kModules> c{};       ///< per-fault critical-or-DUE probability
  std::array<int64_t, quant::kModules> images{}; ///< (trial, image) pairs with faults behind c
  std::vector<std::string> stores;
  bool measured(quant::Module m) const { return images[static_cast<size_t>(m)] > 0; }
  int64_t total_bits() const;
  /// Critical-or-DUE rate per fault uniform over the vulnerable bits, modules in `guarded`
  /// (bit m = quant::Module m) removed.
  double residual(uint32_t guarded) const;
  double unprotected() const { return residual(0); }
};

/// Whether the store at `path` holds a campaign of kind quantized.
bool is_quantized_store(const std::string& path);
ModuleVulnerability read_module_vulnerability(const std::vector<std::string>& stores);
/// The maximum-likelihood per-fault probability from (faults N, images n, critical k) groups.
double per_fault_mle(const std::vector<std::array<int64_t, 3>>& groups);
/// Plans as harden.h's Plan, with masks = {guarded modules} (bit m = quant::Module m).
std::vector<Plan> module_candidates(const ModuleVulnerability& v, const std::vector<fault::Scheme>& schemes);
/// The plan as a quantized campaign's `protection` key.
std::vector<fault::ProtectionSpec> module_specs(const Plan& p);

}  // namespace cnnfi::advice
