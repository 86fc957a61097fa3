// Protection of the quantised modules (quant/guard.h) and the hardening advisor for stores of
// kind quantized (advice/modules.h): verdicts worked out by hand, the per-fault likelihood against
// an independent grid search, and `cnnfi harden` on a quantised campaign, verified by campaign.
#include <cmath>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "advice/modules.h"
#include "exec/executor.h"
#include "onnx/import.h"
#include "quant/guard.h"
#include "store/store.h"
#include "support/support.h"

using namespace cnnfi;

namespace {

fault::ProtectionSpec spec(fault::Scheme s, const std::string& modules, std::vector<std::string> layers = {}) {
  fault::ProtectionSpec p;
  p.scheme = s;
  p.modules = modules;
  if (!layers.empty()) p.layers = fault::LayerSelection::of(layers);
  return p;
}

}  // namespace

TEST(ModuleGuard, VerdictsPerWordFollowEachScheme) {
  exec::Executor ex(onnx_io::load_model(test::source_dir() + "/models/lenet5-fmnist.onnx"));
  quant::QuantizedModel qm(ex);
  ASSERT_GE(qm.layers().size(), 3u);
  using quant::Fault;
  using quant::Module;
  // Image 0: two flips in one o32 word of layer 0, one flip in another o32 word, one in w8 of
  // layer 0 (unguarded), and three flips in one o32 word of layer 1 (layer 1 unguarded).
  const std::vector<Fault> faults = {{0, 0, Module::o32, 5, 3},  {0, 0, Module::o32, 5, 30}, {0, 0, Module::o32, 9, 0},
                                     {0, 0, Module::w8, 2, 7},   {0, 1, Module::o32, 4, 1},  {0, 1, Module::o32, 4, 2},
                                     {0, 1, Module::o32, 4, 3}};
  auto kept = [&](const quant::ModuleGuard& g, bool& detected) { return g.apply(faults, detected).size(); };
  bool det = true;
  // TMR of o32 in layer 0: the three o32 faults of layer 0 are outvoted.
  quant::ModuleGuard tmr(qm, {spec(fault::Scheme::tmr, "o32", {qm.layers()[0].weight})});
  EXPECT_EQ(kept(tmr, det), 4u);
  EXPECT_FALSE(det);
  // SEC-DED: the double fault in word 5 is detected (and passes), the single one in word 9 corrected.
  quant::ModuleGuard ecc(qm, {spec(fault::Scheme::secded, "o32", {qm.layers()[0].weight})});
  EXPECT_EQ(kept(ecc, det), 6u);
  EXPECT_TRUE(det);
  // Parity over every layer's o32: word 5 (even) passes, word 9 (odd) reloaded, layer 1's triple
  // (odd) reloaded; w8 untouched.
  quant::ModuleGuard par(qm, {spec(fault::Scheme::parity, "o32")});
  EXPECT_EQ(kept(par, det), 3u);
  EXPECT_FALSE(det);
  // SEC-DED over every layer: the triple in layer 1 is neither corrected nor detected.
  quant::ModuleGuard all(qm, {spec(fault::Scheme::secded, "all")});
  const auto k = all.apply(faults, det);
  EXPECT_TRUE(det);
  EXPECT_EQ(k.size(), 5u);  // word 5's two flips and layer 1's three
  // Overhead: words x check bits of the word width, over the guarded layers.
  int64_t expect = 0;
  for (const auto& l : qm.layers()) expect += l.elements(Module::o32) * 1;  // parity: 1 bit per word
  EXPECT_EQ(par.overhead_bits(qm), expect);
  const auto& l0 = qm.layers()[0];
  EXPECT_EQ(tmr.overhead_bits(qm), l0.elements(Module::o32) * 64);  // two copies of 32 bits
  int64_t ecc_all = 0;
  for (const auto& l : qm.layers())
    for (auto m : quant::kAllModules) ecc_all += l.elements(m) * (quant::width(m) == 8 ? 5 : 7);
  EXPECT_EQ(all.overhead_bits(qm), ecc_all);
  // What it refuses.
  EXPECT_NE(test::error_of([&] { quant::ModuleGuard(qm, {spec(fault::Scheme::tmr, "")}); }).find("give 'modules'"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { quant::ModuleGuard(qm, {spec(fault::Scheme::tmr, "o32", {"nope"})}); }).find("'nope'"),
            std::string::npos);
}

TEST(ModuleAdvice, PerFaultLikelihoodMatchesAGridSearch) {
  // One group of single faults: the binomial estimate k / n.
  EXPECT_NEAR(advice::per_fault_mle({{1, 200, 30}}), 0.15, 1e-12);
  // N = 2, 36 % critical: 1 - (1 - c)^2 = 0.36 gives c = 0.2.
  EXPECT_NEAR(advice::per_fault_mle({{2, 100, 36}}), 0.2, 1e-12);
  EXPECT_EQ(advice::per_fault_mle({{5, 100, 0}}), 0.0);
  EXPECT_EQ(advice::per_fault_mle({{5, 100, 100}}), 1.0);
  // Several N: the maximum of the log-likelihood, found here on a fine grid.
  const std::vector<std::array<int64_t, 3>> g = {{1, 300, 4}, {5, 300, 21}, {50, 300, 160}, {0, 300, 0}};
  auto ll = [&](double c) {
    double s = 0;
    for (const auto& [n, im, k] : g) {
      if (n == 0) continue;
      const double q = std::pow(1 - c, n);
      s += static_cast<double>(k) * std::log(1 - q) + static_cast<double>(im - k) * std::log(q);
    }
    return s;
  };
  double best = 0, arg = 0;
  for (int i = 1; i < 200000; ++i) {
    const double c = i * 1e-7;
    if (ll(c) > best || i == 1) best = ll(c), arg = c;
  }
  EXPECT_NEAR(advice::per_fault_mle(g), arg, 2e-7);
}

TEST(ModuleAdvice, HardenAdvisesFromAQuantisedCampaignAndVerifiesIt) {
  test::TempDir d;
  const std::string model = test::source_dir() + "/models/lenet5-fmnist.onnx";
  const std::string common = "kind: quantized\nmodel: " + model + "\nlimit: 40\nbatch: 40\ncalibration_images: 50\n";
  std::ofstream(d.file("q.yaml")) << common << "repetitions: 2\nschedule: [0, 20, 200]\nmodules: [i8, w8, b32, o32, o8]\n";
  std::ofstream(d.file("verify.yaml")) << common << "repetitions: 3\nschedule: [200, 1000]\n";
  auto r = test::run_cnnfi("run " + d.file("q.yaml") + " -o " + d.file("q.db"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // TMR only removes faults, so the protected run can only be better (SEC-DED at these rates meets
  // two faults in one word often, which it detects: DUE; ModuleGuard tests cover that).
  r = test::run_cnnfi("harden " + d.file("q.db") + " --schemes tmr --target 0.2 --verify " + d.file("verify.yaml") +
                      " --out " + d.file("v") + " --json " + d.file("advice.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("recommended"), std::string::npos) << r.output;
  const auto j = nlohmann::json::parse(std::ifstream(d.file("advice.json")));
  // The module bits are LeNet-5's (780,544 per forward pass, cnnfi info --quantized).
  EXPECT_EQ(j["memory_bits"].get<int64_t>(), 780544);
  // The recommended plan's overhead, by hand from the module words it guards.
  const auto& rec = j["recommendation"];
  const auto mods = rec["protection"][0]["modules"].get<std::vector<std::string>>();
  const int64_t words[] = {20512 / 8, 491760 / 8, 7552 / 32, 208576 / 32, 52144 / 8};
  int64_t expect = 0;
  for (const auto& m : mods) {
    const auto mod = quant::parse_module(m);
    const int check = rec["scheme"] == "tmr" ? 2 * quant::width(mod) : (quant::width(mod) == 8 ? 5 : 7);
    expect += words[static_cast<int>(mod)] * check;
  }
  EXPECT_EQ(rec["overhead_bits"].get<int64_t>(), expect) << rec.dump();
  const auto& v = j["verify"];
  EXPECT_GT(v["unprotected_rate"].get<double>(), 0) << v.dump();
  EXPECT_LT(v["protected_rate"].get<double>(), v["unprotected_rate"].get<double>()) << v.dump();
  store::Store st(d.file("v/protected.db"), store::OpenMode::read);
  const auto prot = nlohmann::json::parse(st.meta().extra.at("protection"));
  EXPECT_EQ(prot["overhead_bits"].get<int64_t>(), expect);
  // A weight-fault verification campaign is refused for module advice, naming the kind.
  std::ofstream(d.file("w.yaml")) << "kind: single\nmodel: " << model << "\ncount: 2\nlimit: 10\n";
  r = test::run_cnnfi("harden " + d.file("q.db") + " --verify " + d.file("w.yaml") + " --out " + d.file("w"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("kind quantized"), std::string::npos) << r.output;
}
