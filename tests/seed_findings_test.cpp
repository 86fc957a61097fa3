// Seed 000's findings, asserted on the shipped ResNet-20 (Fashion-MNIST): in FP32 only the
// exponent MSB matters (bit 30 collapses accuracy, bits 0-22 stay within a point of golden),
// and 8-bit fixed point keeps a higher mean accuracy than FP32 under the same number of flips.
#include <filesystem>

#include <gtest/gtest.h>

#include "campaign/config.h"
#include "campaign/runner.h"
#include "campaign/summary.h"
#include "cli/common.h"
#include "store/store.h"
#include "support/support.h"

using namespace cnnfi;

namespace {

std::string resnet() { return test::source_dir() + "/models/resnet20-fmnist.onnx"; }

std::vector<campaign::PointSummary> run(const test::TempDir& d, const std::string& name, const std::string& yaml,
                                        double* golden) {
  cli::set_threads(0);
  const auto cfg = campaign::parse_campaign("model: " + resnet() + "\n" + yaml, d.file(name + ".yaml"));
  campaign::RunOptions ro;
  ro.output = d.file(name + ".db");
  campaign::run_campaign(cfg, ro);
  store::Store st(ro.output, store::OpenMode::read);
  *golden = campaign::golden_top1(st.golden());
  return campaign::summarize_points(st.trials());
}

}  // namespace

TEST(SeedFindings, OnlyTheExponentMsbMattersInFp32) {
  test::TempDir d;
  double golden = 0;
  const auto points =
      run(d, "sweep", "kind: bit-sweep\ndata: fashion-mnist:test\nlimit: 200\nrepetitions: 2\nfaults_per_bit: 50\n", &golden);
  ASSERT_EQ(points.size(), 32u);
  EXPECT_GT(golden, 0.85);
  for (const auto& p : points) {
    const int bit = static_cast<int>(p.x);
    if (bit <= 22) EXPECT_NEAR(p.top1.mean, golden, 0.01) << p.point;
    if (bit == 30) EXPECT_LT(p.top1.mean, golden - 0.4) << p.point;
  }
}

TEST(SeedFindings, Q8IsMoreResilientThanFp32) {
  test::TempDir d;
  const std::string body = "kind: incremental\ndata: fashion-mnist:test\nlimit: 200\nrepetitions: 6\nschedule: [20, 50]\n";
  double g32 = 0, g8 = 0;
  const auto f32 = run(d, "fp32", body + "format: fp32\n", &g32);
  const auto q8 = run(d, "q8", body + "format: q8\n", &g8);
  ASSERT_EQ(f32.size(), 2u);
  ASSERT_EQ(q8.size(), 2u);
  EXPECT_NEAR(g8, g32, 0.02);  // storing in Q8 costs little accuracy
  for (size_t i = 0; i < 2; ++i) EXPECT_GT(q8[i].top1.mean, f32[i].top1.mean) << f32[i].point;
}
