// single: each fault (or group of a list) alone over the image set. The list comes from a CSV
// (replayed unchanged) or is generated: `count` faults uniform over the selected memory.
// This is what replay, exhaustive and statistical campaigns build on.
// Keys: faults (a CSV, relative to the campaign file) or count (generated faults), one of them.
// A list may address weight faults by memory word (word, lane[, memory]) in the campaign's layout.
#include <fmt/format.h>

#include "campaign/kind.h"
#include "fault/generate.h"
#include "fault/injector.h"
#include "util/error.h"

namespace cnnfi::campaign {

namespace {

struct SingleOptions : KindOptions {
  std::string faults_csv;
  int64_t count = 0;
  bool allow_repeat = false;
  std::vector<std::string> inputs() const override { return {faults_csv}; }
};

}  // namespace

std::shared_ptr<KindOptions> parse_single(const Keys& k) {
  auto o = std::make_shared<SingleOptions>();
  if (k.has("faults")) o->faults_csv = k.path("faults");
  if (k.has("count")) o->count = k.integer("count", 1, 1000000000);
  if (k.has("allow_repeat")) {
    const std::string v = k.text("allow_repeat");
    if (v != "true" && v != "false") k.bad("allow_repeat", "expected true or false");
    o->allow_repeat = v == "true";
  }
  if (o->faults_csv.empty() == (o->count <= 0))
    fail("{}: kind 'single' needs exactly one of 'faults' (a CSV) or 'count'", k.file());
  return o;
}

std::vector<store::TrialPlan> plan_single(const PlanInput& in) {
  const auto& c = in.config;
  const auto& o = c.kind_options<SingleOptions>();
  std::vector<fault::WeightFault> faults;
  if (!o.faults_csv.empty()) {
    faults = fault::read_fault_csv(o.faults_csv);
    fault::resolve_word_addresses(faults, in.injector, o.faults_csv);
  } else {
    in.check_plan_size(o.count, o.count);
    fault::Rng rng(trial_seed(c.seed, 0, 0));
    fault::GenerateSpec spec = generate_spec(c);
    spec.total = o.count;
    faults = fault::generate(in.injector, spec, rng);
  }
  std::vector<store::TrialPlan> out;
  auto groups = fault::group_faults(faults);
  fault::refuse_repeats(groups, o.faults_csv.empty() ? c.file : o.faults_csv, o.allow_repeat);
  for (auto& group : groups) {
    store::TrialPlan t;
    t.point = group[0].group >= 0 ? fmt::format("group={}", group[0].group) : fmt::format("fault={}", group[0].id);
    t.x = static_cast<double>(group[0].group >= 0 ? group[0].group : group[0].id);
    t.faults = std::move(group);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace cnnfi::campaign
