// layer-wise (seed 000): faults in one layer at a time, rate x the layer's weights of them (at
// least one), R times per layer.
#include <fmt/format.h>

#include "campaign/kind.h"
#include "fault/generate.h"

namespace cnnfi::campaign {

std::vector<store::TrialPlan> plan_layer_wise(const PlanInput& in) {
  const auto& c = in.config;
  const auto layers = fault::select_layers(in.injector, c.layers);
  std::vector<store::TrialPlan> out;
  for (size_t l = 0; l < layers.size(); ++l)
    for (int rep = 0; rep < c.repetitions; ++rep) {
      fault::Rng rng(trial_seed(c.seed, l, static_cast<uint64_t>(rep)));
      fault::GenerateSpec spec;
      spec.layers = layers[l];
      spec.bits = c.bits;
      spec.rate = c.rate;
      spec.model = c.fault_model;
      spec.burst = c.burst;
      store::TrialPlan t;
      t.point = fmt::format("layer={}", layers[l]);
      t.x = static_cast<double>(l);
      t.rep = rep;
      t.faults = fault::generate(in.injector, spec, rng);
      out.push_back(std::move(t));
    }
  return out;
}

}  // namespace cnnfi::campaign
