// bit-sweep (seed 000's indexed test): K faults (default 50) at one bit position, uniform over
// the selected layers' weights, for every selected position from LSB to MSB, R times each.
// Keys: repetitions (60), faults_per_bit (50).
#include <set>

#include <fmt/format.h>

#include "campaign/kind.h"
#include "fault/generate.h"

namespace cnnfi::campaign {

namespace {

struct BitSweepOptions : KindOptions {
  int repetitions = 60;
  int64_t faults_per_bit = 50;
};

}  // namespace

std::shared_ptr<KindOptions> parse_bit_sweep(const Keys& k) {
  auto o = std::make_shared<BitSweepOptions>();
  o->repetitions = read_repetitions(k);
  o->faults_per_bit = k.integer_or("faults_per_bit", 1, 1000000000, 50);
  return o;
}

std::vector<store::TrialPlan> plan_bit_sweep(const PlanInput& in) {
  const auto& c = in.config;
  const auto& o = c.kind_options<BitSweepOptions>();
  std::set<int> bits;
  for (const auto& p : fault::select_layers(in.injector, c.layers))
    for (int b : fault::select_bits(in.injector, p, c.bits)) bits.insert(b);
  std::vector<store::TrialPlan> out;
  const int64_t trials = static_cast<int64_t>(bits.size()) * o.repetitions;
  in.check_plan_size(trials, trials * o.faults_per_bit);
  for (int bit : bits)
    for (int rep = 0; rep < o.repetitions; ++rep) {
      fault::Rng rng(trial_seed(c.seed, static_cast<uint64_t>(bit), static_cast<uint64_t>(rep)));
      fault::GenerateSpec spec = generate_spec(c);
      spec.bits = std::to_string(bit);
      spec.total = o.faults_per_bit;
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
