#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "eval/metrics.h"

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
