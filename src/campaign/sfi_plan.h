// How an sfi campaign splits its population into strata and how many faults each gets, by
// method (seed 004): network and layer -> one stratum per layer (network: the network's n
// shared in proportion to N); data-unaware, data-aware -> one per (layer, bit) with eq. (3);
// adaptive -> one per (layer, bit), starting at kAdaptiveFirstRound. Used by the sfi kind, by
// `cnnfi plan` and by `cnnfi validate`, so a validation samples exactly as a campaign would.
#pragma once
#include <string>
#include <vector>

#include "campaign/config.h"
#include "exec/executor.h"
#include "fault/injector.h"
#include "fault/population.h"
#include "stats/data_aware.h"
#include "stats/sample_size.h"

namespace cnnfi::campaign {

enum class SfiMethod { network, layer, data_unaware, data_aware, adaptive };
std::string to_string(SfiMethod m);
/// network | layer | data-unaware | data-aware | adaptive; throws naming the allowed ones.
SfiMethod parse_sfi_method(const std::string& s);

/// The sfi kind's options (keys method, error, confidence, t, criticality, p_rule, top_up).
struct SfiOptions : KindOptions {
  SfiMethod method = SfiMethod::data_unaware;
  double error = 0.01, confidence = 0.99, t_given = 0;  ///< t_given = 0: t from the confidence
  Criticality crit;
  std::optional<stats::PRule> p_rule;  ///< unset: stats::default_p_rule(format)
  /// true (default): once the planned faults are run, every stratum whose achieved margin
  /// exceeds `error` is sampled further (rounds, as adaptive) until it meets it or is exhausted;
  /// false: the plan as the rule sized it (with p_rule authors: the seed-004 authors' plan).
  bool top_up = true;
  std::vector<std::string> chosen;  ///< the defaults taken for keys left out
  Criticality criticality() const override { return crit; }
  double t() const override;
  std::vector<std::string> defaults() const override { return chosen; }
};

/// Whether the margin `e` promised by method m applies to the network estimate (network) or to
/// every stratum (layer: a layer; the per-bit methods: a (layer, bit) subpopulation).
inline bool promise_is_network(SfiMethod m) { return m == SfiMethod::network; }

struct SamplePlan {
  stats::Plan plan;                                ///< n per layer (and per bit for per-bit methods)
  std::vector<stats::BitCriticality> criticality;  ///< data-aware: every bit's statistics and p
  stats::PRule rule = stats::PRule::fence;         ///< data-aware: the p rule used
};

/// The sample sizes of `o.method` (adaptive: its data-unaware bound) for the populations `pops`.
SamplePlan sample_plan(const SfiOptions& o, const std::vector<fault::Population>& pops, const fault::WeightInjector& inj,
                       const exec::Executor& exec);

struct SfiStratum {
  std::string point, layer;
  int bit = -1;  ///< -1: the whole layer over its bits
  size_t pop = 0, bit_index = 0;
  int64_t N = 0, n = 0;
};

std::vector<SfiStratum> sfi_strata(const SfiOptions& o, const std::vector<fault::Population>& pops,
                                   const fault::WeightInjector& inj, const exec::Executor& exec);

}  // namespace cnnfi::campaign
