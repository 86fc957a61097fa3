// bit-sweep (seed 000's indexed test): K faults (default 50) at one bit position, uniform over
// the selected layers' weights, for every selected position from LSB to MSB, R times each.
#include <set>

#include <fmt/format.h>

#include "campaign/kind.h"
#include "fault/generate.h"

namespace cnnfi::campaign {

std::vector<store::TrialPlan> plan_bit_sweep(const PlanInput& in) {
  const auto& c = in.config;
  std::set<int> bits;
  for (const auto& p : fault::select_layers(in.injector, c.layers))
    for (int b : fault::select_bits(in.injector, p, c.bits)) bits.insert(b);
  std::vector<store::TrialPlan> out;
  const int64_t trials = static_cast<int64_t>(bits.size()) * c.repetitions;
  in.check_plan_size(trials, trials * c.faults_per_bit);
  for (int bit : bits)
    for (int rep = 0; rep < c.repetitions; ++rep) {
      fault::Rng rng(trial_seed(c.seed, static_cast<uint64_t>(bit), static_cast<uint64_t>(rep)));
      fault::GenerateSpec spec = generate_spec(c);
      spec.bits = std::to_string(bit);
      spec.total = c.faults_per_bit;
      store::TrialPlan t;
      t.point = fmt::format("bit={}", bit);
      t.x = bit;
      t.rep = rep;
      t.faults = fault::generate(in.injector, spec, rng);
      out.push_back(std::move(t));
    }
  return out;
}

}  // namespace cnnfi::campaign
