// Critical-rate estimates of exhaustive and sfi stores (seed 004), per stratum, layer, bit and
// network, recomputed from the stored per-image facts under any non-finite policy and any
// criticality (campaign/outcome.h). Strata come from the store's "strata" metadata (written by the kind's planner).
#pragma once
#include <map>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "campaign/outcome.h"
#include "stats/stratified.h"
#include "store/store.h"

namespace cnnfi::campaign {

struct StratumInfo {
  std::string point, layer;
  int bit = -1;  ///< -1: the stratum is a whole layer
  int64_t population = 0;
};

struct StratumResult {
  StratumInfo info;
  int64_t planned = 0, finished = 0;
  stats::Estimate est;  ///< over the finished trials
  bool missed = false;  ///< its margin exceeds the requested error (sfi strata promised one)
};

struct Estimates {
  double t = 2.58;
  double requested_error = 0;  ///< the sfi campaign's `error`; 0: none promised (exhaustive)
  bool network_scope = false;  ///< the promise is the network's margin (method network)
  int64_t missed = 0;          ///< strata (or the network) whose margin exceeds requested_error
  int64_t trials = 0;
  std::vector<StratumResult> strata;
  std::vector<std::pair<std::string, stats::Estimate>> layers;  ///< graph order
  std::vector<std::pair<int, stats::Estimate>> bits;            ///< per-bit strata only
  stats::Estimate network;
};

std::vector<StratumInfo> read_strata(const store::Meta& meta, const std::string& path);
Estimates estimate_store(const store::Store& st, NonFinitePolicy policy, const Criticality& c, double t);
/// {t, confidence, interval_method, requested_error, missed, network, layers[{name,N,n,p,margin,lo,hi}],
///  bits[{bit,...}], strata[{layer,bit,planned,...,missed}]}
nlohmann::json to_json(const Estimates& e);

}  // namespace cnnfi::campaign
