#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "campaign/outcome.h"
#include "eval/metrics.h"
#include "util/error.h"

using namespace cnnfi;

TEST(Metrics, NanIsNeverTheMaximumAndAllNanHasNoClass) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const at::Tensor logits = at::tensor({nan, 1.0f, 3.0f,    //
                                        nan, nan, nan,      //
                                        2.0f, 2.0f, -1.0f,  // tie: lower index
                                        -inf, nan, -inf,    // -inf beats NaN
                                        1.0f, inf, nan})
                                .reshape({5, 3});
  const at::Tensor t = eval::top1(logits);
  EXPECT_EQ(t[0].item<int64_t>(), 2);
  EXPECT_EQ(t[1].item<int64_t>(), -1);
  EXPECT_EQ(t[2].item<int64_t>(), 0);
  EXPECT_EQ(t[3].item<int64_t>(), 0);
  EXPECT_EQ(t[4].item<int64_t>(), 1);
}

TEST(Metrics, TopKRanksNanLast) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const at::Tensor logits = at::tensor({nan, 0.5f, 0.1f, 0.9f}).reshape({1, 4});
  const at::Tensor k = eval::top_classes(logits, 3);
  EXPECT_EQ(k[0][0].item<int64_t>(), 3);
  EXPECT_EQ(k[0][1].item<int64_t>(), 1);
  EXPECT_EQ(k[0][2].item<int64_t>(), 2);
  EXPECT_TRUE(eval::in_topk(logits, at::tensor({int64_t{2}}), 3)[0].item<bool>());
  EXPECT_FALSE(eval::in_topk(logits, at::tensor({int64_t{0}}), 3)[0].item<bool>());
}

TEST(Metrics, NonFinitePoliciesJudgeANanLogitDifferently) {
  // Golden top-1 is class 2. A NaN in class 0 leaves the top-1 at 2 when NaN never wins, but
  // makes class 0 the top-1 in PyTorch's order (NaN above every number).
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const at::Tensor golden = at::tensor({0.1f, 0.2f, 0.9f}).reshape({1, 3});
  const at::Tensor faulty = at::tensor({nan, 0.2f, 0.9f}).reshape({1, 3});
  const auto g = campaign::make_golden(golden, at::tensor({int64_t{2}}));
  std::vector<uint8_t> facts;
  campaign::append_facts(faulty, g, facts);
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_TRUE(facts[0] & campaign::kNonFinite);
  EXPECT_FALSE(facts[0] & campaign::kTop1Changed);
  EXPECT_TRUE(facts[0] & campaign::kTop1ChangedNanMax);
  EXPECT_EQ(campaign::classify(facts[0], campaign::NonFinitePolicy::due), campaign::Outcome::due);
  EXPECT_EQ(campaign::classify(facts[0], campaign::NonFinitePolicy::by_top1), campaign::Outcome::tolerable);
  EXPECT_EQ(campaign::classify(facts[0], campaign::NonFinitePolicy::torch), campaign::Outcome::critical);
  EXPECT_EQ(campaign::parse_nonfinite("torch"), campaign::NonFinitePolicy::torch);
  EXPECT_THROW(campaign::parse_nonfinite("nan"), Error);
}
