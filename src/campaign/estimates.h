// Critical-rate estimates of exhaustive and sfi stores (seed 004), per stratum, layer, bit and
// network, recomputed from the stored per-image facts under any non-finite policy and any
// criticality:
//   pairs        (default, the seed-004 authors' code) a (fault, image) pair is critical when
//                the faulty top-1 differs from the fault-free top-1; p = critical pairs /
//                (faults x images)
//   any          a fault is critical when it changes the top-1 of any image; p = critical faults / n
//   fraction:X   a fault is critical when it changes the top-1 of more than a fraction X of images
// Strata come from the store's "strata" metadata (written by the kind's planner).
#pragma once
#include <map>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "campaign/outcome.h"
#include "stats/stratified.h"
#include "store/store.h"

namespace cnnfi::campaign {

struct Criticality {
  enum Kind { pairs, any, fraction } kind = pairs;
  double threshold = 0;
  std::string name() const;
};
Criticality parse_criticality(const std::string& s);

/// A trial's critical value: the fraction of its images judged critical (pairs) or 0/1.
double trial_criticality(const std::vector<uint8_t>& facts, NonFinitePolicy policy, const Criticality& c);

struct StratumInfo {
  std::string point, layer;
  int bit = -1;  ///< -1: the stratum is a whole layer
  int64_t population = 0;
};

struct StratumResult {
  StratumInfo info;
  int64_t planned = 0, finished = 0;
  stats::Estimate est;  ///< over the finished trials
};

struct Estimates {
  double t = 2.58;
  int64_t trials = 0;
  std::vector<StratumResult> strata;
  std::vector<std::pair<std::string, stats::Estimate>> layers;  ///< graph order
  std::vector<std::pair<int, stats::Estimate>> bits;            ///< per-bit strata only
  stats::Estimate network;
};

std::vector<StratumInfo> read_strata(const store::Meta& meta, const std::string& path);
Estimates estimate_store(const store::Store& st, NonFinitePolicy policy, const Criticality& c, double t);
/// {t, network, layers[{name,N,n,p,margin}], bits[{bit,...}], strata[{layer,bit,planned,...}]}
nlohmann::json to_json(const Estimates& e);

}  // namespace cnnfi::campaign
