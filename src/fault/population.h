// Fault populations for exhaustive and statistical campaigns (seed 004): every fault of one
// model on one weight tensor over chosen bits. With `both_stuck_at`, each (weight, bit) holds
// two faults, stuck-at-0 and stuck-at-1 (N = weights x bits x 2); the one equal to the stored
// bit is provably masked, so the pair behaves as one bit flip plus one masked fault.
// Units of a layer are numbered bit-major: unit = bit_index * per_bit() + v, and within a
// bit v = weight * m + s (m = 2 for stuck-at pairs, s = 0 for sa0, 1 for sa1).
#pragma once
#include <string>
#include <vector>

#include "fault/generate.h"
#include "fault/injector.h"
#include "fault/rng.h"
#include "fault/weight_fault.h"

namespace cnnfi::fault {

struct Population {
  std::string param;
  int64_t weights = 0;
  std::vector<int> bits;
  bool both_stuck_at = false;
  FaultModel model = FaultModel::flip;  ///< when not both_stuck_at
  int burst = kDefaultBurst;

  int64_t per_weight_bit() const { return both_stuck_at ? 2 : 1; }
  int64_t per_bit() const { return weights * per_weight_bit(); }  ///< N of one (layer, bit) subpopulation
  int64_t size() const { return per_bit() * static_cast<int64_t>(bits.size()); }
  /// Unit `u` of the layer (bit-major), or unit `v` of bit index `bi`.
  WeightFault fault(int64_t u) const;
  WeightFault bit_fault(size_t bi, int64_t v) const { return fault(static_cast<int64_t>(bi) * per_bit() + v); }
};

/// The weight tensors seed 004 counts: the weight input of every weighted layer (ops/op_list.def:
/// Conv, ConvTranspose, Gemm, MatMul; no biases), in graph order.
std::vector<std::string> weight_tensors(const WeightInjector& inj, const exec::Executor& exec);

/// What "parameters" counts, said everywhere the same way (`cnnfi info`, the report, `harden`):
struct ParameterCounts {
  int64_t weights = 0;        ///< every weight tensor of the imported graph (BatchNorm's included)
  int64_t injectable = 0;     ///< the tensors a campaign can fault, one memory word each (weights and biases)
  int64_t layer_weights = 0;  ///< Conv/ConvTranspose/Gemm/MatMul weights, no biases (seed 004's layers: all)
  size_t weight_tensors = 0, injectable_tensors = 0, layers = 0;
  /// "270,810 parameters in 65 weight tensors; 268,058 injectable (...); 268,048 ..."
  std::string describe() const;
};
ParameterCounts parameter_counts(const WeightInjector& inj, const exec::Executor& exec);

/// Populations of the selected layers ("all" = weight_tensors) and bits under `fault_model`.
std::vector<Population> populations(const WeightInjector& inj, const exec::Executor& exec, const LayerSelection& layers,
                                    const std::string& bits, const FaultModelChoice& fault_model);

/// The first k elements of a random permutation of [0, n) drawn from `seed` (sparse
/// Fisher-Yates; k clipped to n): a uniform sample without replacement whose prefixes are the
/// samples of smaller k, so adaptive rounds extend earlier ones.
std::vector<int64_t> permutation_prefix(int64_t n, int64_t k, uint64_t seed);

}  // namespace cnnfi::fault
