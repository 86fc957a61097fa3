#include "campaign/kind.h"

#include "util/error.h"

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

const KindEntry& find_kind(const std::string& name) {
  static const std::vector<KindEntry> table = [] {
    std::vector<KindEntry> t = {
#define CNNFI_KIND(id, name, about) {name, &plan_##id, about},
#include "campaign/kind_list.def"
#undef CNNFI_KIND
    };
    for (auto& k : t)
      if (std::string(k.name) == "sfi") k.extend = &extend_sfi;
    return t;
  }();
  std::string names;
  for (const auto& k : table) {
    if (name == k.name) return k;
    names += (names.empty() ? "" : ", ") + std::string(k.name);
  }
  fail("unknown campaign kind '{}'; kinds: {}", name, names);
}

}  // namespace cnnfi::campaign
