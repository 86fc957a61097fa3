#include "campaign/outcome.h"

#include <ATen/ATen.h>

#include "eval/metrics.h"
#include "util/error.h"

namespace cnnfi::campaign {

std::string to_string(Outcome o) {
  switch (o) {
    case Outcome::masked: return "masked";
    case Outcome::tolerable: return "tolerable";
    case Outcome::critical: return "critical";
    case Outcome::due: return "due";
  }
  return "?";
}

std::string to_string(NonFinitePolicy p) {
  switch (p) {
    case NonFinitePolicy::due: return "due";
    case NonFinitePolicy::by_top1: return "top1";
    case NonFinitePolicy::torch: return "torch";
  }
  return "?";
}

NonFinitePolicy parse_nonfinite(const std::string& s) {
  if (s == "due") return NonFinitePolicy::due;
  if (s == "top1") return NonFinitePolicy::by_top1;
  if (s == "torch") return NonFinitePolicy::torch;
  fail("non-finite policy '{}' is not one of due, top1, torch", s);
}

Outcome classify(uint8_t f, NonFinitePolicy policy) {
  if (f & kDetected) return Outcome::due;
  if (f & kProven) return Outcome::tolerable;
  if ((f & kNonFinite) && policy == NonFinitePolicy::due) return Outcome::due;
  const uint8_t changed = policy == NonFinitePolicy::torch ? kTop1ChangedNanMax : kTop1Changed;
  if (f & changed) return Outcome::critical;
  if (f & kLogitsDiffer) return Outcome::tolerable;
  return Outcome::masked;
}

GoldenBatch make_golden(const at::Tensor& logits, const at::Tensor& labels) {
  return {logits, eval::top1(logits), labels};
}

void append_facts(const at::Tensor& logits, const GoldenBatch& g, std::vector<uint8_t>& out) {
  const int64_t n = logits.size(0);
  // Bit-identical comparison: compare the raw 32-bit patterns (NaN == NaN, -0 != +0).
  const at::Tensor a = logits.contiguous().view(at::kInt), b = g.logits.contiguous().view(at::kInt);
  const at::Tensor differ = (a != b).any(1);
  const at::Tensor top1 = eval::top1(logits);
  const at::Tensor changed = top1 != g.top1;
  const at::Tensor nonfinite = at::isfinite(logits).logical_not().any(1);
  const at::Tensor c1 = top1 == g.labels;
  const at::Tensor c5 = eval::in_topk(logits, g.labels, 5);
  // at::argmax ranks NaN above every number (first NaN wins), as torch.topk does.
  const at::Tensor changed_nan_max = logits.to(at::kFloat).argmax(1) != g.logits.to(at::kFloat).argmax(1);
  const at::Tensor facts = differ.to(at::kByte) * kLogitsDiffer + changed.to(at::kByte) * kTop1Changed +
                           nonfinite.to(at::kByte) * kNonFinite + c1.to(at::kByte) * kTop1Correct +
                           c5.to(at::kByte) * kTop5Correct + changed_nan_max.to(at::kByte) * kTop1ChangedNanMax;
  const uint8_t* p = facts.contiguous().data_ptr<uint8_t>();
  out.insert(out.end(), p, p + n);
}

OutcomeCounts count(const std::vector<uint8_t>& facts, NonFinitePolicy policy) {
  OutcomeCounts c;
  for (uint8_t f : facts) {
    ++c.images;
    switch (classify(f, policy)) {
      case Outcome::masked: ++c.masked; break;
      case Outcome::tolerable: ++c.tolerable; break;
      case Outcome::critical: ++c.critical; break;
      case Outcome::due: ++c.due; break;
    }
    if (!(f & kTop1Correct)) ++c.misclassified;
    if (!(f & kTop5Correct)) ++c.top5_miss;
  }
  return c;
}

std::string Criticality::name() const {
  if (kind == pairs) return "pairs";
  if (kind == any) return "any";
  return fmt::format("fraction:{}", threshold);
}

Criticality parse_criticality(const std::string& s) {
  Criticality c;
  if (s == "pairs") return c;
  if (s == "any") {
    c.kind = Criticality::any;
    return c;
  }
  if (s.rfind("fraction:", 0) == 0) {
    char* end = nullptr;
    c.threshold = std::strtod(s.c_str() + 9, &end);
    if (end && *end == '\0' && c.threshold >= 0 && c.threshold < 1) {
      c.kind = Criticality::fraction;
      return c;
    }
  }
  fail("criticality '{}' is not one of pairs, any, fraction:X (0 <= X < 1)", s);
}

double trial_criticality(const std::vector<uint8_t>& facts, NonFinitePolicy policy, const Criticality& c) {
  if (facts.empty()) return 0;
  int64_t crit = 0;
  for (uint8_t f : facts) crit += classify(f, policy) == Outcome::critical;
  const double frac = static_cast<double>(crit) / static_cast<double>(facts.size());
  switch (c.kind) {
    case Criticality::pairs: return frac;
    case Criticality::any: return crit > 0 ? 1 : 0;
    case Criticality::fraction: return frac > c.threshold ? 1 : 0;
  }
  return 0;
}

}  // namespace cnnfi::campaign
