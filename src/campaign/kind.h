// Campaign kinds. A kind plans the trials of a campaign (what to inject in each) from the
// config and a seed; the runner evaluates every kind's trials on the same path (evaluator.h).
// The kinds are one table (kind_list.def): the config parser takes each kind's keys from it and
// the runner its chunk size and extender.
// Adding a kind: campaign/<kind>.cpp defining its options and
//   std::shared_ptr<KindOptions> parse_<id>(const Keys&)         (its keys, typed and checked)
//   std::vector<store::TrialPlan> plan_<id>(const PlanInput&)    (its trials)
// and one line CNNFI_KIND(...) in kind_list.def.
#pragma once
#include <string>
#include <vector>

#include "campaign/config.h"
#include "campaign/evaluator.h"
#include "campaign/keys.h"
#include "fault/generate.h"
#include "fault/injector.h"
#include "store/store.h"

namespace cnnfi::campaign {

/// What a kind's evaluator is built from (KindOptions::make_evaluator).
struct EvaluatorContext {
  const CampaignConfig& config;
  exec::Executor& exec;
  data::Source& source;
  const data::Preprocess& pre;
  int64_t batch;
  store::Meta* meta;  ///< to describe the evaluation (written with a new plan; not on resume)
};

struct PlanInput {
  const CampaignConfig& config;
  const fault::WeightInjector& injector;
  const exec::Executor& exec;
  store::Meta* meta = nullptr;  ///< kinds may describe their plan here (strata)
  /// Refuses a plan of `trials` trials holding `faults` faults in all before it is built, when it
  /// would not fit in memory (a row costs about 100 bytes); the message gives the sizes.
  void check_plan_size(int64_t trials, int64_t faults) const;
};

/// The generation spec of the config's layers, bits and fault model (kinds that draw faults with
/// fault::generate); stuck-at pairs ("sa") are refused: they define populations, not draws.
fault::GenerateSpec generate_spec(const CampaignConfig& c);

/// A seed for (campaign seed, point, repetition): independent streams, so a trial's faults do
/// not depend on the order trials are planned or evaluated in (splitmix64 mixing).
uint64_t trial_seed(uint64_t seed, uint64_t point, uint64_t rep);

using Planner = std::vector<store::TrialPlan> (*)(const PlanInput&);
using OptionsParser = std::shared_ptr<KindOptions> (*)(const Keys&);
/// Sequential kinds plan more trials once every planned one has finished (adaptive sampling);
/// an empty result ends the campaign.
using Extender = std::vector<store::TrialPlan> (*)(const PlanInput&, const store::Store&);

struct KindEntry {
  const char* name;
  OptionsParser parse;
  Planner plan;
  size_t chunk;                   ///< trials per pass over the data
  Extender extend;                ///< nullptr: planned once
  std::vector<std::string> keys;  ///< campaign keys beyond the common ones (key_list.def)
  const char* about;
};

std::vector<store::TrialPlan> extend_sfi(const PlanInput& in, const store::Store& st);

#define CNNFI_KIND(id, name, chunk, extender, about)                      \
  std::shared_ptr<KindOptions> parse_##id(const Keys& k);                  \
  std::vector<store::TrialPlan> plan_##id(const PlanInput& in);
#include "campaign/kind_list.def"
#undef CNNFI_KIND

const std::vector<KindEntry>& kinds();
/// The kind named `name`; throws listing the kinds.
const KindEntry& find_kind(const std::string& name);

}  // namespace cnnfi::campaign
