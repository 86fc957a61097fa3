#include "campaign/kind.h"

#include <unistd.h>

#include "util/error.h"
#include "util/strings.h"

namespace cnnfi::campaign {

uint64_t trial_seed(uint64_t seed, uint64_t point, uint64_t rep) {
  auto mix = [](uint64_t z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  return mix(mix(mix(seed) ^ point) ^ rep);
}

std::unique_ptr<TrialEvaluator> KindOptions::make_evaluator(const EvaluatorContext&) const { return nullptr; }

fault::GenerateSpec generate_spec(const CampaignConfig& c) {
  if (c.fault_model.stuck_at_pairs)
    fail("{}: key 'fault_model': 'sa' (stuck-at pairs) is for the exhaustive and sfi kinds; use sa0 or sa1", c.file);
  fault::GenerateSpec spec;
  spec.layers = c.layers;
  spec.bits = c.bits;
  spec.model = c.fault_model.model;
  spec.burst = c.fault_model.burst;
  return spec;
}

void PlanInput::check_plan_size(int64_t trials, int64_t faults) const {
  constexpr double kBytesPerRow = 100;
  const double bytes = (static_cast<double>(trials) + static_cast<double>(faults)) * kBytesPerRow;
  const double ram = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  if (trials < 0 || faults < 0 || bytes > ram / 2)
    fail("{}: the plan would hold {} trials and {} faults (about {:.1f} GiB), more than half of this machine's "
         "{:.1f} GiB of memory; make the campaign smaller or split it",
         config.file, trials, faults, bytes / (1 << 30), ram / (1 << 30));
}

const std::vector<KindEntry>& kinds() {
  static const std::vector<KindEntry> table = {
#define CNNFI_KIND(id, name, chunk, extender, about) {name, &parse_##id, &plan_##id, chunk, extender, kind_keys(name), about},
#include "campaign/kind_list.def"
#undef CNNFI_KIND
  };
  return table;
}

const KindEntry& find_kind(const std::string& name) {
  std::string names;
  for (const auto& k : kinds()) {
    if (name == k.name) return k;
    names += (names.empty() ? "" : ", ") + std::string(k.name);
  }
  fail("unknown campaign kind '{}'; kinds: {}", name, names);
}

}  // namespace cnnfi::campaign
