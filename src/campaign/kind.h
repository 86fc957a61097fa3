// Campaign kinds. A kind plans the trials of a campaign (what to inject in each) from the
// config and a seed; the runner evaluates every kind's trials on the same path (evaluator.h).
// Adding a kind: campaign/<kind>.cpp defining `std::vector<store::TrialPlan> plan_<id>(const
// PlanInput&)` and one line CNNFI_KIND(id, "name", "what it measures") in kind_list.def.
#pragma once
#include <string>
#include <vector>

#include "campaign/config.h"
#include "fault/injector.h"
#include "store/store.h"

namespace cnnfi::campaign {

struct PlanInput {
  const CampaignConfig& config;
  const fault::WeightInjector& injector;
};

/// A seed for (campaign seed, point, repetition): independent streams, so a trial's faults do
/// not depend on the order trials are planned or evaluated in (splitmix64 mixing).
uint64_t trial_seed(uint64_t seed, uint64_t point, uint64_t rep);

using Planner = std::vector<store::TrialPlan> (*)(const PlanInput&);

struct KindEntry {
  const char* name;
  Planner plan;
  const char* about;
};

#define CNNFI_KIND(id, name, about) std::vector<store::TrialPlan> plan_##id(const PlanInput& in);
#include "campaign/kind_list.def"
#undef CNNFI_KIND

const KindEntry& find_kind(const std::string& name);

}  // namespace cnnfi::campaign
