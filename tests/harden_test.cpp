// Protection of weight memory (TMR, SEC-DED, parity with reload) as simulated in campaigns, and
// the hardening advisor: overheads (seed 000's GoogLeNet example), predictions against
// measurements.
#include <cstring>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "advice/harden.h"
#include "campaign/config.h"
#include "campaign/runner.h"
#include "exec/executor.h"
#include "fault/injector.h"
#include "onnx/import.h"
#include "repr/format.h"
#include "store/store.h"
#include "support/support.h"

using namespace cnnfi;

TEST(Protection, WordVerdictsFollowEachSchemesCode) {
  using fault::Scheme;
  const uint32_t w = 0x3f800000u;  // 1.0f
  const uint32_t guard = 0xff800000u;  // sign and exponent
  // TMR outvotes every flipped guarded bit and leaves unguarded ones.
  EXPECT_EQ(fault::protect(Scheme::tmr, guard, w, w ^ 0x40000000u).word, w);
  EXPECT_EQ(fault::protect(Scheme::tmr, guard, w, w ^ 0x60000001u).word, w ^ 1u);
  // SEC-DED: one guarded error corrected, two detected (word left as read), three pass.
  EXPECT_EQ(fault::protect(Scheme::secded, guard, w, w ^ 0x40000000u).word, w);
  const auto two = fault::protect(Scheme::secded, guard, w, w ^ 0x60000000u);
  EXPECT_TRUE(two.detected);
  EXPECT_EQ(two.word, w ^ 0x60000000u);
  EXPECT_FALSE(fault::protect(Scheme::secded, guard, w, w ^ 0x70000000u).detected);
  // An unguarded flip beside a guarded one: the guarded one is corrected.
  EXPECT_EQ(fault::protect(Scheme::secded, guard, w, w ^ 0x40000001u).word, w ^ 1u);
  // Parity with reload: odd counts reloaded, even counts pass unseen.
  EXPECT_EQ(fault::protect(Scheme::parity, guard, w, w ^ 0x70000000u).word, w);
  EXPECT_EQ(fault::protect(Scheme::parity, guard, w, w ^ 0x60000000u).word, w ^ 0x60000000u);
  EXPECT_FALSE(fault::protect(Scheme::parity, guard, w, w ^ 0x60000000u).detected);
}

TEST(Protection, OverheadBitsPerWord) {
  using fault::Scheme;
  EXPECT_EQ(fault::overhead_bits(Scheme::tmr, 32), 64);
  EXPECT_EQ(fault::overhead_bits(Scheme::tmr, 1), 2);
  // Extended Hamming: (39,32) -> 7, (13,8) -> 5, (4,1) -> 3, (8,4) -> 4.
  EXPECT_EQ(fault::overhead_bits(Scheme::secded, 32), 7);
  EXPECT_EQ(fault::overhead_bits(Scheme::secded, 8), 5);
  EXPECT_EQ(fault::overhead_bits(Scheme::secded, 4), 4);
  EXPECT_EQ(fault::overhead_bits(Scheme::secded, 1), 3);
  EXPECT_EQ(fault::overhead_bits(Scheme::parity, 9), 1);
  EXPECT_EQ(fault::overhead_bits(Scheme::parity, 0), 0);
}

TEST(Harden, SeedZeroGoogLeNetOverheadsInMebibits) {
  // Seed 000: GoogLeNet's 6,996,452 FP32 weights; TMR of every bit adds two copies of each,
  // TMR of the exponent MSB (bit 30) alone two bits per weight. The paper prints both as "MB".
  advice::Vulnerability v;
  v.width = 32;
  v.layers = {{"googlenet", 6996452}};
  v.v.assign(1, std::vector<double>(32, 0.0));
  EXPECT_EQ(advice::plan_overhead(v, fault::Scheme::tmr, {0xffffffffu}), int64_t{6996452} * 32 * 2);
  EXPECT_EQ(advice::format_bits(advice::plan_overhead(v, fault::Scheme::tmr, {0xffffffffu})), "427.0 Mibit");
  EXPECT_EQ(advice::plan_overhead(v, fault::Scheme::tmr, {1u << 30}), int64_t{6996452} * 2);
  EXPECT_EQ(advice::format_bits(advice::plan_overhead(v, fault::Scheme::tmr, {1u << 30})), "13.3 Mibit");
}

TEST(Harden, ParetoIsMonotoneAndTheRecommendationMeetsTheTarget) {
  advice::Vulnerability v;
  v.width = 32;
  v.layers = {{"a", 1000}, {"b", 10}};
  v.v.assign(2, std::vector<double>(32, 0.0));
  v.v[0][30] = 0.9, v.v[0][29] = 0.01, v.v[1][30] = 1.0, v.v[1][27] = 0.5;
  const double base = v.unprotected();
  EXPECT_NEAR(base, (1000 * 0.91 + 10 * 1.5) / (1010.0 * 32), 1e-12);
  const auto front = advice::pareto(advice::candidates(v, {fault::Scheme::tmr}));
  ASSERT_GE(front.size(), 3u);
  for (size_t i = 1; i < front.size(); ++i) {
    EXPECT_GT(front[i].overhead_bits, front[i - 1].overhead_bits);
    EXPECT_LT(front[i].residual, front[i - 1].residual);
  }
  EXPECT_EQ(front.back().residual, 0);
  const auto* rec = advice::recommend(front, base, 0.012);
  ASSERT_NE(rec, nullptr);
  EXPECT_LE(rec->residual, 0.012 * base);
  // Bit 30 of both layers and bit 27 of the small one: 2 x (1000 + 10 + 10) check bits.
  EXPECT_EQ(rec->overhead_bits, 2 * (1000 + 10 + 10));
  const auto specs = advice::to_specs(v, *rec);
  ASSERT_EQ(specs.size(), 2u);
}

namespace {

struct Lenet {
  exec::Executor exec{onnx_io::load_model(test::source_dir() + "/models/lenet5-fmnist.onnx")};
  fault::WeightInjector inj{exec, repr::find_format("fp32")};
};

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

}  // namespace

TEST(Protection, InjectorCorrectsDetectsOrPassesAsTheSchemeSays) {
  Lenet m;
  const std::string p = "fc3.weight";
  const float before = m.exec.weight(p).data_ptr<float>()[7];
  fault::WeightFault f30{1, p, 7, 30}, f29{2, p, 7, 29}, f0{3, p, 7, 0};
  fault::ProtectionSpec spec;
  spec.scheme = fault::Scheme::tmr;
  spec.bits = "30";
  spec.layers = fault::LayerSelection::of({p});
  EXPECT_EQ(fault::install_protection(m.inj, {spec}), m.inj.numel(p) * 2);
  // TMR of bit 30: that flip is outvoted, the trial is masked and nothing changes.
  EXPECT_FALSE(m.inj.inject({f30}));
  EXPECT_EQ(bits_of(m.exec.weight(p).data_ptr<float>()[7]), bits_of(before));
  // With an unguarded flip beside it, only that one stays.
  EXPECT_TRUE(m.inj.inject({f30, f0}));
  EXPECT_EQ(bits_of(m.exec.weight(p).data_ptr<float>()[7]), bits_of(before) ^ 1u);
  m.inj.restore();
  // SEC-DED over the exponent: two errors in one word are detected.
  spec.scheme = fault::Scheme::secded;
  spec.bits = "exponent";
  fault::install_protection(m.inj, {spec});
  EXPECT_TRUE(m.inj.inject({f30, f29}));
  EXPECT_TRUE(m.inj.detected());
  m.inj.restore();
  EXPECT_FALSE(m.inj.inject({f29}));
  EXPECT_FALSE(m.inj.detected());
  EXPECT_EQ(bits_of(m.exec.weight(p).data_ptr<float>()[7]), bits_of(before));
  // Parity: two flips pass unseen.
  spec.scheme = fault::Scheme::parity;
  fault::install_protection(m.inj, {spec});
  EXPECT_TRUE(m.inj.inject({f30, f29}));
  EXPECT_FALSE(m.inj.detected());
  EXPECT_EQ(bits_of(m.exec.weight(p).data_ptr<float>()[7]), bits_of(before) ^ 0x60000000u);
  m.inj.restore();
  EXPECT_EQ(bits_of(m.exec.weight(p).data_ptr<float>()[7]), bits_of(before));
}

TEST(Protection, CampaignMeasuresWhatTheProtectionLeaves) {
  test::TempDir d;
  auto run = [&](const std::string& extra, const std::string& name) {
    auto c = campaign::parse_campaign("kind: bit-sweep\nmodel: " + test::source_dir() +
                                          "/models/lenet5-fmnist.onnx\nlimit: 50\nrepetitions: 2\nfaults_per_bit: 2\n"
                                          "bits: 29-31\n" + extra,
                                      d.file(name + ".yaml"));
    campaign::RunOptions ro;
    ro.output = d.file(name + ".db");
    campaign::run_campaign(c, ro);
    store::Store st(ro.output, store::OpenMode::read);
    std::map<std::string, int64_t> bad;
    for (const auto& r : st.trials()) bad[r.point] += r.critical + r.due;
    return std::make_pair(bad, st.meta());
  };
  const auto [plain, m0] = run("", "plain");
  ASSERT_GT(plain.at("bit=30"), 0);
  // TMR of bit 30: every bit-30 fault is corrected, the other bits are as unprotected (same faults).
  const auto [tmr, m1] = run("protection: {scheme: tmr, bits: 30}\n", "tmr");
  EXPECT_EQ(tmr.at("bit=30"), 0);
  EXPECT_EQ(tmr.at("bit=31"), plain.at("bit=31"));
  EXPECT_EQ(tmr.at("bit=29"), plain.at("bit=29"));
  ASSERT_TRUE(m1.extra.count("protection"));
  Lenet m;
  int64_t words = 0;
  for (const auto& p : m.inj.params()) words += m.inj.numel(p);
  EXPECT_NE(m1.extra.at("protection").find("\"overhead_bits\":" + std::to_string(2 * words)), std::string::npos)
      << m1.extra.at("protection");
  // A burst of 8 bits from bit 29 upward hits bits 29, 30, 31 of a word. SEC-DED over bits 29-30
  // sees two errors there and detects them: every such trial is all DUE.
  const auto [burst, m2] = run("fault_model: burst8\n", "burst");
  const auto [ecc, m3] = run("fault_model: burst8\nprotection: {scheme: secded, bits: 29-30}\n", "ecc");
  store::Store st(d.file("ecc.db"), store::OpenMode::read);
  for (const auto& r : st.trials())
    if (r.point == "bit=29") EXPECT_EQ(r.due, r.images);
  (void)burst, (void)m0, (void)m2, (void)m3;
}

TEST(Protection, CampaignKeyIsChecked) {
  auto err = [](const std::string& extra) {
    return test::error_of([&] {
      campaign::parse_campaign("kind: single\nmodel: " + test::source_dir() + "/models/lenet5-fmnist.onnx\ncount: 2\n" + extra,
                               "c.yaml");
    });
  };
  EXPECT_NE(err("protection: {scheme: hamming}\n").find("tmr, secded, parity"), std::string::npos);
  EXPECT_NE(err("protection: {bits: 30}\n").find("needs 'scheme'"), std::string::npos);
  EXPECT_NE(err("protection: {scheme: tmr, bit: 30}\n").find("unknown key 'bit'"), std::string::npos);
  EXPECT_NE(err("protection: [{scheme: tmr}, {scheme: parity}]\n").find("one scheme"), std::string::npos);
  EXPECT_EQ(err("protection: [{scheme: tmr, bits: 30}, {scheme: tmr, bits: 31, layers: [fc3.weight]}]\n"), "");
}

TEST(Harden, AdvisesFromABitSweepAndVerifiesTheAdviceByCampaign) {
  test::TempDir d;
  const std::string model = test::source_dir() + "/models/lenet5-fmnist.onnx";
  std::ofstream(d.file("sweep.yaml")) << "kind: bit-sweep\nmodel: " << model
                                      << "\nlimit: 40\nrepetitions: 2\nfaults_per_bit: 1\n";
  std::ofstream(d.file("verify.yaml")) << "kind: incremental\nmodel: " << model
                                       << "\nlimit: 40\nrepetitions: 4\nschedule: [10, 40]\n";
  auto r = test::run_cnnfi("run " + d.file("sweep.yaml") + " -o " + d.file("sweep.db"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_cnnfi("harden " + d.file("sweep.db") + " --schemes tmr --target 0.05 --verify " + d.file("verify.yaml") +
                      " --out " + d.file("v") + " --json " + d.file("advice.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("recommended"), std::string::npos) << r.output;
  std::ifstream in(d.file("advice.json"));
  const auto j = nlohmann::json::parse(in);
  ASSERT_TRUE(j.contains("verify")) << j.dump(2);
  const auto& v = j["verify"];
  EXPECT_GT(v["unprotected_rate"].get<double>(), 0);
  // Protection only removes faults here (single flips, TMR): never more harm than unprotected.
  EXPECT_LE(v["protected_rate"].get<double>(), v["unprotected_rate"].get<double>());
  EXPECT_EQ(v["protected_due"].get<double>(), 0);
  // The protected store records what it ran with.
  store::Store st(d.file("v/protected.db"), store::OpenMode::read);
  EXPECT_NE(st.meta().config_yaml.find("protection:"), std::string::npos);
  EXPECT_TRUE(st.meta().extra.count("protection"));
  // Re-running without --resume refuses to overwrite the verification stores.
  r = test::run_cnnfi("harden " + d.file("sweep.db") + " --schemes tmr --target 0.05 --verify " + d.file("verify.yaml") +
                      " --out " + d.file("v"));
  EXPECT_NE(r.exit_code, 0);
}
