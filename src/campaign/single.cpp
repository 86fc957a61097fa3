// single: each fault (or group of a list) alone over the image set. The list comes from a CSV
// (replayed unchanged) or is generated: `count` faults uniform over the selected memory.
// This is what replay, exhaustive and statistical campaigns build on.
#include <fmt/format.h>

#include "campaign/kind.h"
#include "fault/generate.h"
#include "util/error.h"

namespace cnnfi::campaign {

std::vector<store::TrialPlan> plan_single(const PlanInput& in) {
  const auto& c = in.config;
  if (c.faults_csv.empty() == (c.count <= 0))
    fail("{}: kind 'single' needs exactly one of 'faults' (a CSV) or 'count'", c.file);
  std::vector<fault::WeightFault> faults;
  if (!c.faults_csv.empty()) {
    faults = fault::read_fault_csv(c.faults_csv);
  } else {
    in.check_plan_size(c.count, c.count);
    fault::Rng rng(trial_seed(c.seed, 0, 0));
    fault::GenerateSpec spec = generate_spec(c);
    spec.total = c.count;
    faults = fault::generate(in.injector, spec, rng);
  }
  std::vector<store::TrialPlan> out;
  for (auto& group : fault::group_faults(faults)) {
    store::TrialPlan t;
    t.point = group[0].group >= 0 ? fmt::format("group={}", group[0].group) : fmt::format("fault={}", group[0].id);
    t.x = static_cast<double>(group[0].group >= 0 ? group[0].group : group[0].id);
    t.faults = std::move(group);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace cnnfi::campaign
