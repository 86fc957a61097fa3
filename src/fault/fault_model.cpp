#include "fault/fault_model.h"

#include <cerrno>
#include <cstdlib>

#include "util/error.h"

namespace cnnfi::fault {

const std::vector<FaultModelDef>& fault_models() {
  static const std::vector<FaultModelDef> table = {
#define CNNFI_FAULT_MODEL(id) fault_model_##id(),
#include "fault/fault_model_list.def"
#undef CNNFI_FAULT_MODEL
  };
  return table;
}

const FaultModelDef& fault_model(FaultModel model) { return fault_models().at(static_cast<size_t>(model)); }

uint32_t apply(uint32_t word, FaultModel model, int bit, int width, int burst) {
  return fault_model(model).apply(word, bit, width, burst);
}

bool provably_masked(uint32_t word, FaultModel model, int bit) { return fault_model(model).masked(word, bit); }

std::string to_string(FaultModel model, int burst) {
  const auto& d = fault_model(model);
  return d.has_length ? std::string(d.name) + std::to_string(burst) : d.name;
}

FaultModel parse_fault_model(const std::string& s, int* burst) {
  if (s.empty()) return FaultModel::flip;
  std::string names;
  for (const auto& d : fault_models()) {
    names += (names.empty() ? "" : ", ") + std::string(d.name) + (d.has_length ? "K" : "");
    if (s == d.name) {
      if (d.has_length && burst) *burst = kDefaultBurst;
      return d.model;
    }
    if (!d.has_length || s.rfind(d.name, 0) != 0) continue;
    const std::string k = s.substr(std::string(d.name).size());
    errno = 0;
    char* end = nullptr;
    const long n = std::strtol(k.c_str(), &end, 10);
    if (k.empty() || *end || errno == ERANGE || n < 1 || n > 32)
      fail("fault model '{}': the length after '{}' must be 1..32", s, d.name);
    if (burst) *burst = static_cast<int>(n);
    return d.model;
  }
  fail("unknown fault model '{}'; allowed: {} (K = 1..32, default {})", s, names, kDefaultBurst);
}

std::string FaultModelChoice::name() const { return stuck_at_pairs ? "sa" : to_string(model, burst); }

FaultModelChoice parse_fault_model_choice(const std::string& s) {
  FaultModelChoice c;
  if (s == "sa") {
    c.stuck_at_pairs = true;
    return c;
  }
  try {
    c.model = parse_fault_model(s, &c.burst);
  } catch (const Error& e) {
    fail("{} (or sa: both stuck-ats of every bit)", e.what());
  }
  return c;
}

}  // namespace cnnfi::fault
