#include "fault/fault_model.h"

#include <cstdlib>

#include "util/error.h"

namespace cnnfi::fault {

uint32_t apply(uint32_t word, FaultModel model, int bit, int width, int burst) {
  const uint32_t one = 1u << bit;
  switch (model) {
    case FaultModel::flip: return word ^ one;
    case FaultModel::stuck_at_0: return word & ~one;
    case FaultModel::stuck_at_1: return word | one;
    case FaultModel::burst: {
      uint32_t mask = 0;
      for (int b = bit; b < bit + burst && b < width; ++b) mask |= 1u << b;
      return word ^ mask;
    }
  }
  return word;
}

bool provably_masked(uint32_t word, FaultModel model, int bit) {
  const bool set = (word >> bit) & 1u;
  return (model == FaultModel::stuck_at_0 && !set) || (model == FaultModel::stuck_at_1 && set);
}

std::string to_string(FaultModel model, int burst) {
  switch (model) {
    case FaultModel::flip: return "flip";
    case FaultModel::burst: return "burst" + std::to_string(burst);
    case FaultModel::stuck_at_0: return "sa0";
    case FaultModel::stuck_at_1: return "sa1";
  }
  return "?";
}

FaultModel parse_fault_model(const std::string& s, int* burst) {
  if (s.empty() || s == "flip") return FaultModel::flip;
  if (s == "sa0") return FaultModel::stuck_at_0;
  if (s == "sa1") return FaultModel::stuck_at_1;
  if (s.rfind("burst", 0) == 0) {
    const std::string k = s.substr(5);
    char* end = nullptr;
    const long n = k.empty() ? kDefaultBurst : std::strtol(k.c_str(), &end, 10);
    if ((!k.empty() && *end) || n < 1 || n > 32) fail("fault model '{}': burst length must be 1..32", s);
    if (burst) *burst = static_cast<int>(n);
    return FaultModel::burst;
  }
  fail("unknown fault model '{}'; allowed: flip, burst8 (burstK), sa0, sa1", s);
}

}  // namespace cnnfi::fault
