// Fault lists generated from a seed by a spec:
//   layers  all, a list of initializer names, or "re:<regex>" (LayerSelection)
//   bits    "all", a list "0,5,30", a range "23-30", or a field of the format: sign, exponent,
//           exponent-msb, mantissa, integer, fraction, magnitude (lists may mix these)
//   count   exactly one of: `total` faults uniform over the bits of the selected memory;
//           `per_bit` faults at each selected bit; `rate` x elements per layer (at least one)
// Positions are distinct within a list.
#pragma once
#include <string>
#include <vector>

#include "fault/injector.h"
#include "fault/rng.h"
#include "fault/selection.h"
#include "fault/weight_fault.h"

namespace cnnfi::fault {

struct GenerateSpec {
  LayerSelection layers;
  std::string bits = "all";
  int64_t total = 0;
  int64_t per_bit = 0;
  double rate = 0;
  FaultModel model = FaultModel::flip;
  int burst = kDefaultBurst;
  int64_t first_id = 0;
};

/// The selected params, in injector order (all injectable params for `all`); an unknown name is
/// an error listing the layers.
std::vector<std::string> select_layers(const WeightInjector& inj, const LayerSelection& layers);
/// The selected bits of `param` (fields depend on its format parameters).
std::vector<int> select_bits(const WeightInjector& inj, const std::string& param, const std::string& bits);

std::vector<WeightFault> generate(const WeightInjector& inj, const GenerateSpec& spec, Rng& rng);

}  // namespace cnnfi::fault
