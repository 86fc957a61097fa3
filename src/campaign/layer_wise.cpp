// layer-wise (seed 000): faults in one layer at a time, rate x the layer's weights of them (at
// least one), R times per layer. Keys: repetitions (60), rate (faults per weight, in (0, 1],
// default 1e-4).
#include <fmt/format.h>

#include "campaign/kind.h"
#include "fault/generate.h"

namespace cnnfi::campaign {

namespace {

struct LayerWiseOptions : KindOptions {
  int repetitions = 60;
  double rate = 1e-4;
};

}  // namespace

std::shared_ptr<KindOptions> parse_layer_wise(const Keys& k) {
  auto o = std::make_shared<LayerWiseOptions>();
  o->repetitions = read_repetitions(k);
  if (k.has("rate")) o->rate = k.real("rate", 0, 1, true);
  return o;
}

std::vector<store::TrialPlan> plan_layer_wise(const PlanInput& in) {
  const auto& c = in.config;
  const auto& o = c.kind_options<LayerWiseOptions>();
  const auto layers = fault::select_layers(in.injector, c.layers);
  std::vector<store::TrialPlan> out;
  int64_t faults = 0;
  for (const auto& l : layers) faults += std::max<int64_t>(1, std::llround(o.rate * in.injector.numel(l)));
  in.check_plan_size(static_cast<int64_t>(layers.size()) * o.repetitions, faults * o.repetitions);
  for (size_t l = 0; l < layers.size(); ++l)
    for (int rep = 0; rep < o.repetitions; ++rep) {
      fault::Rng rng(trial_seed(c.seed, l, static_cast<uint64_t>(rep)));
      fault::GenerateSpec spec = generate_spec(c);
      spec.layers = fault::LayerSelection::of({layers[l]});
      spec.rate = o.rate;
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
