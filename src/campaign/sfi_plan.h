// How an sfi campaign splits its population into strata and how many faults each gets, by
// method (seed 004): network and layer -> one stratum per layer (network: the network's n
// shared in proportion to N); data-unaware, data-aware -> one per (layer, bit) with eq. (3);
// adaptive -> one per (layer, bit), starting at kAdaptiveFirstRound. Used by the sfi kind and
// by `cnnfi validate`, so a validation samples exactly as a campaign would.
#pragma once
#include <string>
#include <vector>

#include "campaign/config.h"
#include "exec/executor.h"
#include "fault/injector.h"
#include "fault/population.h"

namespace cnnfi::campaign {

struct SfiStratum {
  std::string point, layer;
  int bit = -1;  ///< -1: the whole layer over its bits
  size_t pop = 0, bit_index = 0;
  int64_t N = 0, n = 0;
};

std::vector<SfiStratum> sfi_strata(const CampaignConfig& c, const std::vector<fault::Population>& pops,
                                   const fault::WeightInjector& inj, const exec::Executor& exec);

}  // namespace cnnfi::campaign
