// grid (seed 002's scenarios as one campaign): fault mode (SEU: single flips; MBU: bursts of 8
// adjacent bits, meant with a packed `layout` so that a burst spans several k-bit codes) x domain
// (weights: persistent upsets of the weight memory; activations: upsets of the stored activation
// codes, present in every inference) x target (the whole network, or one layer at a time) x N
// faults, `repetitions` trials per cell. Per (mode, domain, target, repetition) one random list
// of max(schedule) distinct faults; the trial with N faults injects its first N (as incremental).
// Keys: repetitions (20), schedule ([1, 2, 5, 10, 20, 50, 100]), modes ([seu, mbu]), domains
//   ([weights, activations]), targets ([network, layers]: the network and every layer).
// Layers, numbered from 1 in graph order: the weights of the weighted layers (Conv, Gemm, ...);
// the activations are the outputs of the activation nodes (Sign, Round, Relu, Clip), numbered
// likewise. Points: "mode=seu domain=weights target=network layer=0 faults=5" (layer 0 = the
// whole network), so `cnnfi fit 'accuracy ~ mode*domain*faults' --where target=network` and the
// per-layer model read them directly.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "campaign/kind.h"
#include "fault/generate.h"
#include "ops/op.h"
#include "util/error.h"
#include "util/strings.h"

namespace cnnfi::campaign {

namespace {

struct GridOptions : KindOptions {
  int repetitions = 20;
  std::vector<int64_t> schedule = {1, 2, 5, 10, 20, 50, 100};
  std::vector<std::string> modes = {"seu", "mbu"}, domains = {"weights", "activations"}, targets = {"network", "layers"};
};

std::vector<std::string> list_key(const Keys& k, const char* key, const std::vector<std::string>& allowed,
                                  std::vector<std::string> dflt) {
  if (!k.has(key)) return dflt;
  const auto& n = k.root()[key];
  if (!n.IsSequence() || n.size() == 0) k.bad(key, "expected a non-empty list of " + join(allowed, ", "));
  std::vector<std::string> out;
  for (const auto& x : n) {
    const std::string v = k.scalar(x, key, "a name");
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) k.bad(key, "'" + v + "' is not one of " + join(allowed, ", "));
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return out;
}

/// The weight tensors of the weighted layers, in graph order.
std::vector<std::string> weight_layers(const fault::WeightInjector& inj, const graph::Graph& g) {
  std::set<std::string> weights;
  for (const auto& n : g.nodes)
    if (const auto* e = ops::find_op_entry(n.op_type); e && e->weight_input >= 0 && static_cast<size_t>(e->weight_input) < n.inputs.size() &&
                                                       n.inputs[static_cast<size_t>(e->weight_input)] >= 0)
      weights.insert(g.values[static_cast<size_t>(n.inputs[static_cast<size_t>(e->weight_input)])].name);
  std::vector<std::string> out;
  for (const auto& p : inj.params())
    if (weights.count(p)) out.push_back(p);
  return out;
}

struct Site {
  std::string name;
  int64_t elements = 0;  ///< per image
  int width = 0;         ///< bits per element
};

/// The outputs of the activation nodes, in graph order, with their elements per image: Sign, Round,
/// Relu and Clip outputs (seed 002's networks as cnnfi trains them) in the format's width; for the
/// model's own storage (model:* formats), the outputs of its QONNX activation quantisers, each in
/// its own word.
std::vector<Site> activation_sites(const graph::Graph& g, const std::string& file, const repr::Format& format) {
  std::vector<Site> out;
  const bool own = repr::is_model_format(format.name());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const auto& n = g.nodes[i];
    int width = format.width();
    if (own) {
      if (n.outputs.empty() || n.outputs[0] < 0) continue;
      const auto& v = g.values[static_cast<size_t>(n.outputs[0])];
      if (!v.shape_known || v.shape.empty() || std::any_of(v.shape.begin() + 1, v.shape.end(), [](int64_t d) { return d < 0; }))
        continue;
      std::vector<int64_t> shape = v.shape;
      shape[0] = 1;
      const auto st = graph::activation_storage(g, static_cast<int>(i), shape);
      if (!st) continue;
      width = st->bits;
    } else if (n.op_type != "Sign" && n.op_type != "Round" && n.op_type != "Relu" && n.op_type != "Clip") {
      continue;
    }
    if (n.op_type == "Clip" && n.outputs.size() == 1 && n.outputs[0] >= 0) {
      // A Clip feeding a Round is part of the 2-bit quantiser: the Round's output is the site.
      const auto& cons = g.values[static_cast<size_t>(n.outputs[0])].consumers;
      if (cons.size() == 1 && g.nodes[static_cast<size_t>(cons[0])].op_type == "Round") continue;
    }
    const auto& v = g.values[static_cast<size_t>(n.outputs.at(0))];
    if (!v.shape_known || v.shape.size() < 2) fail("{}: the shape of activation '{}' is unknown", file, v.name);
    int64_t e = 1;
    for (size_t d = 1; d < v.shape.size(); ++d) {
      if (v.shape[d] < 0) fail("{}: activation '{}' has a symbolic dimension", file, v.name);
      e *= v.shape[d];
    }
    out.push_back({v.name, e, width});
  }
  return out;
}

/// `n` distinct faults uniform over the bits of `sites` (every inference).
std::vector<fault::WeightFault> draw_activation_faults(const std::vector<Site>& sites, int64_t n,
                                                       fault::FaultModel model, fault::Rng& rng) {
  int64_t total = 0;
  for (const auto& s : sites) total += s.elements * s.width;
  if (n > total) fail("grid: {} activation faults asked, the selected activations hold {} bits", n, total);
  std::set<int64_t> seen;
  std::vector<fault::WeightFault> out;
  while (static_cast<int64_t>(out.size()) < n) {
    int64_t g = static_cast<int64_t>(rng.below(static_cast<uint64_t>(total)));
    if (!seen.insert(g).second) continue;
    fault::WeightFault f;
    f.id = static_cast<int64_t>(out.size());
    for (const auto& s : sites) {
      if (g < s.elements * s.width) {
        f.param = s.name;
        f.flat_index = g / s.width;
        f.bit = static_cast<int>(g % s.width);
        break;
      }
      g -= s.elements * s.width;
    }
    f.model = model;
    f.burst = fault::kDefaultBurst;
    f.image = -1;
    out.push_back(f);
  }
  return out;
}

}  // namespace

std::shared_ptr<KindOptions> parse_grid(const Keys& k) {
  auto o = std::make_shared<GridOptions>();
  o->repetitions = static_cast<int>(k.integer_or("repetitions", 1, 1000000, 20));
  o->schedule = read_schedule(k, o->schedule);
  o->modes = list_key(k, "modes", {"seu", "mbu"}, o->modes);
  o->domains = list_key(k, "domains", {"weights", "activations"}, o->domains);
  o->targets = list_key(k, "targets", {"network", "layers"}, o->targets);
  return o;
}

std::vector<store::TrialPlan> plan_grid(const PlanInput& in) {
  const auto& o = in.config.kind_options<GridOptions>();
  if (in.config.fault_model.stuck_at_pairs || in.config.fault_model.model != fault::FaultModel::flip)
    fail("{}: kind grid sets the fault model per mode (seu: flip, mbu: burst8): remove key 'fault_model'", in.config.file);
  if (!in.config.layers.all()) fail("{}: kind grid chooses its own targets: remove key 'layers'", in.config.file);
  const auto& g = in.exec.graph();
  const auto weights = weight_layers(in.injector, g);
  const auto sites = activation_sites(g, in.config.file, in.injector.format());
  const int64_t most = o.schedule.back();
  // The plan's size, known before anything is drawn: refused before planning, as every kind does.
  {
    int64_t points = 0;
    for (const auto& domain : o.domains)
      for (const auto& t : o.targets)
        points += t == "network" ? 1 : static_cast<int64_t>(domain == "weights" ? weights.size() : sites.size());
    points *= static_cast<int64_t>(o.modes.size());
    int64_t per_rep = 0;
    for (int64_t n : o.schedule) per_rep += n;
    const double trials = static_cast<double>(points) * static_cast<double>(o.schedule.size()) * o.repetitions;
    const double faults = static_cast<double>(points) * static_cast<double>(per_rep) * o.repetitions;
    in.check_plan_size(trials > 9e18 ? -1 : static_cast<int64_t>(trials), faults > 9e18 ? -1 : static_cast<int64_t>(faults));
  }
  std::vector<store::TrialPlan> out;
  uint64_t point = 0;
  for (const auto& mode : o.modes)
    for (const auto& domain : o.domains) {
      const bool w = domain == "weights";
      if (!w && sites.empty())
        fail("{}: domain activations: the model has no {}", in.config.file,
             repr::is_model_format(in.injector.format().name())
                 ? "QONNX activation quantiser (Quant, BipolarQuant or FloatQuant with constant parameters) of known output shape"
                 : "Sign, Round, Relu or Clip outputs");
      std::vector<int> layers;  // 0 = the network
      for (const auto& t : o.targets)
        if (t == "network") layers.push_back(0);
        else
          for (size_t l = 1; l <= (w ? weights.size() : sites.size()); ++l) layers.push_back(static_cast<int>(l));
      for (int layer : layers) {
        ++point;
        for (int rep = 0; rep < o.repetitions; ++rep) {
          fault::Rng rng(trial_seed(in.config.seed, point, static_cast<uint64_t>(rep)));
          const auto model = mode == "seu" ? fault::FaultModel::flip : fault::FaultModel::burst;
          std::vector<fault::WeightFault> list;
          if (most > 0) {
            if (w) {
              fault::GenerateSpec spec = generate_spec(in.config);
              spec.layers = fault::LayerSelection::of(layer == 0 ? weights : std::vector<std::string>{weights[static_cast<size_t>(layer - 1)]});
              spec.total = most;
              spec.model = model;
              spec.burst = fault::kDefaultBurst;
              list = fault::generate(in.injector, spec, rng);
            } else {
              list = draw_activation_faults(layer == 0 ? sites : std::vector<Site>{sites[static_cast<size_t>(layer - 1)]},
                                            most, model, rng);
            }
          }
          for (int64_t n : o.schedule) {
            store::TrialPlan t;
            t.point = fmt::format("mode={} domain={} target={} layer={} faults={}", mode, domain,
                                  layer == 0 ? "network" : "layer", layer, n);
            t.x = static_cast<double>(n);
            t.rep = rep;
            t.faults.assign(list.begin(), list.begin() + n);
            out.push_back(std::move(t));
          }
        }
      }
    }
  return out;
}

}  // namespace cnnfi::campaign
