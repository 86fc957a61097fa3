// Seed 004's Table I (ResNet-20, stuck-at on 32-bit weights, e = 1 %, t = 2.58), as printed:
// including its layer 11 of 9,226 weights (a typo for 9,216 that its totals carry).
#include <gtest/gtest.h>

#include "stats/sample_size.h"

using namespace cnnfi;

namespace {

const std::vector<int64_t> kWeights = {432,  2304, 2304, 2304, 2304,  2304,  2304,  4608,  9216,  9216,
                                       9216, 9226, 9216, 18432, 36864, 36864, 36864, 36864, 36864, 640};
const std::vector<int64_t> kNetwork = {27,  143, 143, 143, 143,  143,  143,  285,  571,  571,
                                       571, 572, 571, 1142, 2284, 2284, 2284, 2284, 2284, 40};
const std::vector<int64_t> kLayer = {10389, 14954, 14954, 14954, 14954, 14954, 14954, 15752, 16184, 16184,
                                     16184, 16185, 16184, 16410, 16524, 16524, 16524, 16524, 16524, 11834};
const std::vector<int64_t> kUnaware = {26272,  115488, 115488, 115488, 115488, 115488, 115488,
                                       189792, 279872, 279872, 279872, 280000, 279872, 366912,
                                       434464, 434464, 434464, 434464, 434464, 38048};

std::vector<int64_t> populations() {
  std::vector<int64_t> p;
  for (auto w : kWeights) p.push_back(w * 32 * 2);
  return p;
}

std::vector<std::string> names() {
  std::vector<std::string> n;
  for (size_t i = 0; i < kWeights.size(); ++i) n.push_back("L" + std::to_string(i));
  return n;
}

}  // namespace

TEST(SampleSize, TableINetworkWise) {
  const stats::SampleSpec s{0.01, 2.58};
  const auto plan = stats::plan_network(names(), populations(), s);
  EXPECT_EQ(plan.total_population, 17174144);
  EXPECT_EQ(plan.total_sample, 16625);
  for (size_t l = 0; l < kNetwork.size(); ++l) EXPECT_EQ(plan.layers[l].sample, kNetwork[l]) << "layer " << l;
}

TEST(SampleSize, TableILayerWise) {
  const auto plan = stats::plan_layer(names(), populations(), {0.01, 2.58});
  for (size_t l = 0; l < kLayer.size(); ++l) EXPECT_EQ(plan.layers[l].sample, kLayer[l]) << "layer " << l;
  EXPECT_EQ(plan.total_sample, 307650);
}

TEST(SampleSize, TableIDataUnaware) {
  const auto plan = stats::plan_data_unaware(names(), populations(), 32, {0.01, 2.58});
  for (size_t l = 0; l < kUnaware.size(); ++l) EXPECT_EQ(plan.layers[l].sample, kUnaware[l]) << "layer " << l;
  EXPECT_EQ(plan.layers[0].bit_sample[0], 821);  // 864 faults per bit in layer 0
  EXPECT_EQ(plan.total_sample, 4885760);
}

TEST(SampleSize, ErrorMarginInvertsTheSampleSize) {
  const stats::SampleSpec s{0.01, 2.58};
  const int64_t N = 27648, n = stats::sample_size(N, 0.5, s);
  EXPECT_NEAR(stats::error_margin(N, n, 0.5, 2.58), 0.01, 1e-5);
  EXPECT_EQ(stats::error_margin(N, N, 0.5, 2.58), 0.0);
  EXPECT_DOUBLE_EQ(stats::t_for_confidence(0.99), 2.58);
  EXPECT_NEAR(stats::t_for_confidence(0.98), 2.326, 1e-3);
}
