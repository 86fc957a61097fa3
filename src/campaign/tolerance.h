// How many faults per inference a quantised (seed 003) campaign's model tolerates: the N at which
// its mean top-1 accuracy falls `loss` (default 0.01, one point) below the fault-free accuracy,
// linearly interpolated between the measured N of the schedule. Used to compare a model trained
// fault-aware with its reference (seed 003 Fig. 4: the ratio of their tolerances).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace cnnfi::campaign {

struct Tolerance {
  std::string modules;           ///< module set
  double fault_free = 0;         ///< mean top-1 at N = 0 (the golden accuracy if N = 0 was not run)
  std::optional<double> faults;  ///< N at the loss; unset when the schedule never reaches it
  double largest = 0;            ///< largest N measured
  int64_t bits = 0;              ///< vulnerable bits of the set in one forward pass (0: unknown)
  /// The tolerated fault rate (eq. 3.1), comparable across module sets of different sizes.
  std::optional<double> rate() const { return faults && bits ? std::optional<double>(*faults / bits) : std::nullopt; }
};

/// One entry per module set of a quantised store.
std::vector<Tolerance> tolerance(const store::Store& st, double loss = 0.01);

}  // namespace cnnfi::campaign
