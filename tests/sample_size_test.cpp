// Seed 004's Table I (ResNet-20, stuck-at on 32-bit weights, e = 1 %, t = 2.58), as printed:
// including its layer 11 of 9,226 weights (a typo for 9,216 that its totals carry).
#include <cmath>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "exec/executor.h"
#include "onnx/import.h"
#include "repr/format.h"
#include "stats/data_aware.h"
#include "stats/sample_size.h"
#include "support/support.h"

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

TEST(DataAware, BitStatisticsByHand) {
  // 0.5 = 0x3f000000 and -0.5 = 0xbf000000.
  const auto crit = stats::data_aware_p({at::tensor({0.5f, -0.5f})}, repr::find_format("fp32"), stats::PRule::fence);
  ASSERT_EQ(crit.size(), 32u);
  EXPECT_DOUBLE_EQ(crit[31].f0, 0.5);       // sign
  EXPECT_DOUBLE_EQ(crit[31].d01, 1.0);      // 0.5 -> -0.5
  EXPECT_DOUBLE_EQ(crit[31].d10, 1.0);      // -0.5 -> 0.5
  EXPECT_DOUBLE_EQ(crit[31].d_avg, 1.0);
  EXPECT_DOUBLE_EQ(crit[22].f0, 1.0);       // mantissa MSB is 0 in both
  EXPECT_DOUBLE_EQ(crit[22].d_avg, 0.25);   // 0.5 -> 0.75
  EXPECT_DOUBLE_EQ(crit[30].d01, std::ldexp(1.0, 127) - 0.5);  // exponent MSB 0 -> 1
  EXPECT_TRUE(crit[30].outlier);            // 10^38 is far above the fence of the other bits
  EXPECT_DOUBLE_EQ(crit[30].p, 0.5);
  EXPECT_DOUBLE_EQ(crit[0].p, stats::kMinDataAwareP);  // the smallest distance: the floor
}

TEST(DataAware, ShippedResnet20NeedsFarFewerFaultsThanDataUnaware) {
  exec::Executor ex(onnx_io::load_model(test::source_dir() + "/models/resnet20-fmnist.onnx"));
  std::vector<std::string> layers;
  std::vector<at::Tensor> golden;
  std::vector<int64_t> pops;
  for (const auto& n : ex.graph().nodes)
    if (n.op_type == "Conv" || n.op_type == "Gemm") {
      layers.push_back(ex.graph().values[n.inputs[1]].name);
      golden.push_back(ex.weight(layers.back()));
      pops.push_back(golden.back().numel() * 32 * 2);
    }
  ASSERT_EQ(layers.size(), 20u);
  const auto crit = stats::data_aware_p(golden, repr::find_format("fp32"), stats::PRule::fence);
  std::vector<double> p;
  for (const auto& c : crit) p.push_back(c.p);
  EXPECT_DOUBLE_EQ(p[30], 0.5);            // the exponent MSB is the most critical
  EXPECT_LT(p[0], 0.01);                   // the mantissa LSB barely matters
  const stats::SampleSpec s{0.01, 2.58};
  const auto aware = stats::plan_data_aware(layers, pops, p, s);
  const auto unaware = stats::plan_data_unaware(layers, pops, 32, s);
  EXPECT_LT(aware.total_sample * 3, unaware.total_sample);
  for (size_t l = 0; l < layers.size(); ++l) EXPECT_LT(aware.layers[l].sample, unaware.layers[l].sample) << layers[l];
}
