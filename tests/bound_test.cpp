// Proven outcomes (exact: false): faults a bound proves harmless on a batch are not run. The
// bound must be sound: every proven pair, evaluated, keeps its top-1 class and its top-5 outcome.
#include <fstream>

#include <gtest/gtest.h>

#include "campaign/bound.h"
#include "campaign/config.h"
#include "campaign/outcome.h"
#include "campaign/runner.h"
#include "onnx/import.h"
#include "store/store.h"
#include "support/support.h"

using namespace cnnfi;

TEST(Bound, ProvenPairsKeepTheirOutcomeWhenEvaluated) {
  test::TempDir d;
  auto run = [&](const std::string& name, const std::string& extra) {
    const auto c = campaign::parse_campaign("kind: single\nmodel: " + test::source_dir() +
                                                "/models/lenet5-fmnist.onnx\nlimit: 200\nbatch: 100\ncount: 400\nseed: 5\n" +
                                                extra,
                                            d.file(name + ".yaml"));
    campaign::RunOptions ro;
    ro.output = d.file(name + ".db");
    campaign::run_campaign(c, ro);
    return store::Store(ro.output, store::OpenMode::read).trials();
  };
  const auto exact = run("exact", "");
  const auto fast = run("fast", "exact: false\n");
  ASSERT_EQ(exact.size(), fast.size());
  int64_t proven = 0;
  for (size_t t = 0; t < exact.size(); ++t) {
    ASSERT_EQ(exact[t].facts.size(), fast[t].facts.size());
    for (size_t i = 0; i < exact[t].facts.size(); ++i) {
      const uint8_t e = exact[t].facts[i], f = fast[t].facts[i];
      if (!(f & campaign::kProven)) {
        EXPECT_EQ(e, f) << "trial " << t << " image " << i;
        continue;
      }
      ++proven;
      EXPECT_FALSE(e & (campaign::kTop1Changed | campaign::kTop1ChangedNanMax | campaign::kNonFinite))
          << "unsound: trial " << t << " image " << i;
      const uint8_t keep = campaign::kTop1Correct | campaign::kTop5Correct;
      EXPECT_EQ(e & keep, f & keep) << "unsound: trial " << t << " image " << i;
      // Counted tolerable (masked and tolerable are not told apart).
      EXPECT_EQ(campaign::classify(f, campaign::NonFinitePolicy::due), campaign::Outcome::tolerable);
    }
  }
  // Low mantissa flips of LeNet-5 are provable: some pairs must have been proven.
  EXPECT_GT(proven, 1000) << "of " << exact.size() * 200;
  // Critical counts are the same: a proven pair is never critical.
  int64_t ce = 0, cf = 0;
  for (size_t t = 0; t < exact.size(); ++t) ce += exact[t].critical, cf += fast[t].critical;
  EXPECT_EQ(ce, cf);
}

TEST(Bound, TheMarginRuleUsesTopOneAndTheLabelsTopFivePlace) {
  // Logits of one image, label 2 (in the top 5, 4th): gaps top-1 vs 2nd = 1, label vs 6th = 0.5.
  const at::Tensor z = at::tensor({10.0, 9.0, 7.0, 8.0, 7.4, 6.5, 6.0, 1.0, 0.0, -1.0}, at::kFloat).reshape({1, 10});
  const at::Tensor label = at::tensor({2}, at::kLong);
  auto proven = [&](double b) { return campaign::OutputBound::proven(z, label, at::full({1}, b, at::kDouble)).item<bool>(); };
  EXPECT_TRUE(proven(0.2));
  EXPECT_FALSE(proven(0.26));  // 2 x 0.26 > 0.5: the label's logit and the 6th could swap
  // Label 8 (outside the top 5): the gap is 5th (7.0) minus its logit (0.0) = 7; top-1 gap 1 rules.
  EXPECT_TRUE(campaign::OutputBound::proven(z, at::tensor({8}, at::kLong), at::full({1}, 0.45, at::kDouble)).item<bool>());
  EXPECT_FALSE(campaign::OutputBound::proven(z, at::tensor({8}, at::kLong), at::full({1}, 0.5, at::kDouble)).item<bool>());
  // Non-finite golden logits are never proven.
  const at::Tensor bad = z.clone().index_put_({0, 9}, std::numeric_limits<float>::quiet_NaN());
  EXPECT_FALSE(campaign::OutputBound::proven(bad, label, at::full({1}, 0.0, at::kDouble)).item<bool>());
}
