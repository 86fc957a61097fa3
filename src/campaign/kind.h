// Campaign kinds. A kind plans the trials of a campaign (what to inject in each) from the
// config and a seed; the runner evaluates every kind's trials on the same path (evaluator.h).
// Adding a kind: campaign/<kind>.cpp defining `std::vector<store::TrialPlan> plan_<id>(const
// PlanInput&)` and one line CNNFI_KIND(id, "name", "what it measures") in kind_list.def.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "campaign/config.h"
#include "fault/injector.h"
#include "store/store.h"

namespace cnnfi::campaign {

struct PlanInput {
  const CampaignConfig& config;
  const fault::WeightInjector& injector;
  const exec::Executor& exec;
  store::Meta* meta = nullptr;  ///< kinds may describe their plan here (strata)
};

/// A seed for (campaign seed, point, repetition): independent streams, so a trial's faults do
/// not depend on the order trials are planned or evaluated in (splitmix64 mixing).
uint64_t trial_seed(uint64_t seed, uint64_t point, uint64_t rep);

using Planner = std::vector<store::TrialPlan> (*)(const PlanInput&);
/// Sequential kinds plan more trials once every planned one has finished (adaptive sampling);
/// an empty result ends the campaign.
using Extender = std::vector<store::TrialPlan> (*)(const PlanInput&, const store::Store&);

struct KindEntry {
  const char* name;
  Planner plan;
  const char* about;
  Extender extend = nullptr;
};

std::vector<store::TrialPlan> extend_sfi(const PlanInput& in, const store::Store& st);

#define CNNFI_KIND(id, name, about) std::vector<store::TrialPlan> plan_##id(const PlanInput& in);
#include "campaign/kind_list.def"
#undef CNNFI_KIND

const KindEntry& find_kind(const std::string& name);

}  // namespace cnnfi::campaign
