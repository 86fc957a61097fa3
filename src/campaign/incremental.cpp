// incremental (seed 000's full-network test): per repetition, one random fault list over the
// selected memory; the trial at schedule step k injects its first schedule[k] faults, so each
// step's faults include the previous step's (faults accumulate, as in weight memory).
// Keys: repetitions (60), schedule (non-decreasing fault counts >= 0, default [0, 1, 2, 5, 10,
// 20, 50, 100]).
#include <fmt/format.h>

#include "campaign/kind.h"
#include "fault/generate.h"

namespace cnnfi::campaign {

namespace {

struct IncrementalOptions : KindOptions {
  int repetitions = 60;
  std::vector<int64_t> schedule = {0, 1, 2, 5, 10, 20, 50, 100};
};

}  // namespace

std::shared_ptr<KindOptions> parse_incremental(const Keys& k) {
  auto o = std::make_shared<IncrementalOptions>();
  o->repetitions = read_repetitions(k);
  o->schedule = read_schedule(k, o->schedule);
  return o;
}

std::vector<store::TrialPlan> plan_incremental(const PlanInput& in) {
  const auto& c = in.config.kind_options<IncrementalOptions>();
  std::vector<store::TrialPlan> out;
  const int64_t most = c.schedule.empty() ? 0 : c.schedule.back();
  fault::GenerateSpec spec = generate_spec(in.config);
  spec.total = most;
  int64_t faults = 0;
  for (int64_t n : c.schedule) faults += n;
  in.check_plan_size(static_cast<int64_t>(c.schedule.size()) * c.repetitions, faults * c.repetitions);
  for (int rep = 0; rep < c.repetitions; ++rep) {
    fault::Rng rng(trial_seed(in.config.seed, 0, static_cast<uint64_t>(rep)));
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
