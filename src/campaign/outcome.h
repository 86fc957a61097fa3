// The outcome of a trial on one image, recorded as facts (one byte) so that every taxonomy can
// be derived later without re-running:
//   logits_differ  the logits are not bit-identical to the fault-free logits
//   top1_changed   the top-1 class differs from the fault-free top-1
//   nonfinite      some logit is NaN or infinite
//   top1_correct / top5_correct   against the label
//   top1_changed_nan_max  the top-1 differs when NaN ranks above every number, as
//                  torch.argmax/topk order it (what PyTorch-based tools such as the seed-004
//                  authors' code measure)
//   proven         not evaluated (`exact: false`): a sound bound on the logits' change proves
//                  top-1 and the top-5 set unchanged (campaign/bound.h); masked and tolerable are
//                  then not told apart, and the pair is counted tolerable; top-1/top-5 correctness
//                  are the golden ones
//   detected       a protection (SEC-DED ECC) detected an uncorrectable error in the weights
//                  the inference read: a detected unrecoverable error whatever the policy
// Derived classes: DUE (non-finite, when counted as detectable), critical SDC (top-1 changed),
// tolerable SDC (logits differ, top-1 unchanged), masked (bit-identical).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace cnnfi::campaign {

enum Fact : uint8_t {
  kLogitsDiffer = 1,
  kTop1Changed = 2,
  kNonFinite = 4,
  kTop1Correct = 8,
  kTop5Correct = 16,
  kTop1ChangedNanMax = 32,
  kDetected = 64,  ///< a protection detected an error it could not correct (DUE under every policy)
  kProven = 128,   ///< not evaluated: a bound proves top-1 and top-5 unchanged (masked or tolerable; counted tolerable)
};
constexpr uint8_t kAllFacts = 255;  ///< the bits a stored fact may hold

enum class Outcome { masked, tolerable, critical, due };

/// How non-finite outputs are judged:
///   due    as a detected unrecoverable error (default)
///   top1   by their top-1 like any other output, a NaN logit never being the maximum
///   torch  by their top-1 with NaN ranking above every number (torch.topk/argmax order), as
///          the seed-004 authors' PyTorch code judged them
enum class NonFinitePolicy { due, by_top1, torch };

std::string to_string(Outcome o);
std::string to_string(NonFinitePolicy p);
/// "due", "top1" or "torch"; anything else throws naming the value and the allowed ones.
NonFinitePolicy parse_nonfinite(const std::string& s);
Outcome classify(uint8_t facts, NonFinitePolicy policy);

/// Fault-free reference for a batch.
struct GoldenBatch {
  at::Tensor logits;  ///< (N, classes)
  at::Tensor top1;    ///< (N) with eval::top1's NaN rule
  at::Tensor labels;  ///< (N)
};
GoldenBatch make_golden(const at::Tensor& logits, const at::Tensor& labels);

/// Facts of faulty `logits` against the golden batch, appended to `out` (one byte per image).
void append_facts(const at::Tensor& logits, const GoldenBatch& golden, std::vector<uint8_t>& out);

/// How estimates count a fault as critical (seed 004):
///   pairs        (default, the seed-004 authors' code) a (fault, image) pair is critical when
///                the faulty top-1 differs from the fault-free top-1; p = critical pairs /
///                (faults x images)
///   any          a fault is critical when it changes the top-1 of any image; p = critical faults / n
///   fraction:X   a fault is critical when it changes the top-1 of more than a fraction X of images
struct Criticality {
  enum Kind { pairs, any, fraction } kind = pairs;
  double threshold = 0;
  std::string name() const;
};
Criticality parse_criticality(const std::string& s);

/// A trial's critical value: the fraction of its images judged critical (pairs) or 0/1.
double trial_criticality(const std::vector<uint8_t>& facts, NonFinitePolicy policy, const Criticality& c);

/// Per-trial counts over images.
struct OutcomeCounts {
  int64_t images = 0, masked = 0, tolerable = 0, critical = 0, due = 0, misclassified = 0, top5_miss = 0;
};
OutcomeCounts count(const std::vector<uint8_t>& facts, NonFinitePolicy policy);

}  // namespace cnnfi::campaign
