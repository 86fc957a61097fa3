// Seed 004's data-aware criticality of each bit position (eq. 4-5), and the rules that turn it
// into the p of each bit's subpopulation. The statistics, from the golden weights:
//   D_avg(i) = D_0->1(i) f0(i) + D_1->0(i) f1(i)
// where f0/f1 are the fractions of weights whose bit i is 0/1 and D_a->b the mean |faulty -
// golden| over those weights when bit i is flipped.
//
// p rules (one line each in kPRules):
//   fence    cnnfi's reading of eq. (5): D_avg min-max normalised to [0, 0.5] over the bits that
//            are not outliers; a bit is an outlier when its D_avg is not finite (the flip can make
//            Inf/NaN) or lies above the upper Tukey fence Q3 + 1.5 IQR of log10 D_avg over the
//            bits with finite, positive D_avg; outliers get p = 0.5 (the seed: "highest
//            criticality"); a floor of p = 0.001 keeps every subpopulation sampled.
//   authors  the per-bit p the seed-004 authors' code samples with (their
//            n_tuning_scenario_1.csv for ResNet-20 and MobileNetV2, recovered by inverting
//            eq. (1)): one fixed vector for FP32, the same for both networks, so it does not
//            depend on the weights; only N does. Docs: docs/statistical.md.
#pragma once
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "repr/format.h"

namespace cnnfi::stats {

constexpr double kMinDataAwareP = 0.001;

enum class PRule { fence, authors };

struct PRuleEntry {
  PRule rule;
  const char* name;
  const char* about;
};

/// Every p rule.
const std::vector<PRuleEntry>& p_rules();
/// The default for weights in `format`: authors for fp32 (validated against an exhaustive
/// LeNet-5 campaign in docs/statistical.md: valid margins with the fewest faults), fence for
/// every other format (the authors' table exists for fp32 only).
PRule default_p_rule(const repr::Format& format);
/// A rule by name; throws naming the value and the rules.
PRule parse_p_rule(const std::string& name);
std::string to_string(PRule rule);

struct BitCriticality {
  int bit = 0;
  double f0 = 0, f1 = 0;    ///< fractions of weights with the bit at 0 / 1
  double d01 = 0, d10 = 0;  ///< mean distance of 0->1 / 1->0 flips (inf if any flip is non-finite)
  double d_avg = 0;
  bool outlier = false;
  double p = 0.5;
  std::string source;       ///< what produced p: "min-max", "outlier", "floor", "authors' table"
};

/// Criticality of every bit of `format` over all `weights` (each stored with its own params:
/// `params[i]` where given, as the injector holds them (the model's own scales for model:*
/// formats), else the format's choice), with p from `rule`. The authors' rule exists for fp32 only
/// (an error names the format).
std::vector<BitCriticality> data_aware_p(const std::vector<at::Tensor>& weights, const repr::Format& format,
                                         PRule rule, const std::vector<repr::Params>& params = {});

/// The authors' p of FP32 bit `bit` (0 = LSB), as recovered from their sample-size tables.
double authors_p(int bit);

}  // namespace cnnfi::stats
