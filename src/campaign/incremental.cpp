// incremental (seed 000's full-network test): per repetition, one random fault list over the
// selected memory; the trial at schedule step k injects its first schedule[k] faults, so each
// step's faults include the previous step's (faults accumulate, as in weight memory).
#include <fmt/format.h>

#include "campaign/kind.h"
#include "fault/generate.h"

namespace cnnfi::campaign {

std::vector<store::TrialPlan> plan_incremental(const PlanInput& in) {
  const auto& c = in.config;
  std::vector<store::TrialPlan> out;
  const int64_t most = c.schedule.empty() ? 0 : c.schedule.back();
  fault::GenerateSpec spec = generate_spec(c);
  spec.total = most;
  int64_t faults = 0;
  for (int64_t n : c.schedule) faults += n;
  in.check_plan_size(static_cast<int64_t>(c.schedule.size()) * c.repetitions, faults * c.repetitions);
  for (int rep = 0; rep < c.repetitions; ++rep) {
    fault::Rng rng(trial_seed(c.seed, 0, static_cast<uint64_t>(rep)));
    std::vector<fault::WeightFault> list;
    if (most > 0) list = fault::generate(in.injector, spec, rng);
    for (int64_t n : c.schedule) {
      store::TrialPlan t;
      t.point = fmt::format("faults={}", n);
      t.x = static_cast<double>(n);
      t.rep = rep;
      t.faults.assign(list.begin(), list.begin() + n);
      out.push_back(std::move(t));
    }
  }
  return out;
}

}  // namespace cnnfi::campaign
