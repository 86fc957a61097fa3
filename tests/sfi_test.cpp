// Statistical fault injection (seed 004): sampling without replacement, stratified estimates,
// the exhaustive and sfi kinds on one evaluation path, adaptive rounds, validation, and the
// seed's exhaustive linear.weight result.
#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "campaign/estimates.h"
#include "campaign/runner.h"
#include "fault/population.h"
#include "stats/interval.h"
#include "stats/sample_size.h"
#include "stats/stratified.h"
#include "onnx/builder.h"
#include "store/store.h"
#include "support/support.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

using namespace cnnfi;

namespace {

std::string lenet() { return test::source_dir() + "/models/lenet5-fmnist.onnx"; }

std::string write_yaml(const test::TempDir& d, const std::string& name, const std::string& body) {
  const std::string path = d.file(name);
  std::ofstream(path) << "model: " << lenet() << "\ndata: fashion-mnist:test\nper_class: 3\n" << body;
  return path;
}

campaign::RunInfo run(const std::string& yaml, const std::string& db) {
  campaign::RunOptions ro;
  ro.output = db;
  return campaign::run_campaign(campaign::load_campaign(yaml), ro);
}

std::string key(const fault::WeightFault& f) {
  return f.param + "/" + std::to_string(f.flat_index) + "/" + std::to_string(f.bit) + "/" + fault::to_string(f.model);
}

/// A small CNN that is not one of cnnfi's: two convolutions and a classifier whose weights are
/// heavy-tailed (a cubed normal, scale unlike a trained LeNet's), on 28 x 28 grey images.
std::string foreign_cnn(const test::TempDir& d) {
  at::manual_seed(7);
  onnx_io::ModelBuilder b("foreign");
  b.input("x", {-1, 1, 28, 28});
  const auto heavy = [](std::vector<int64_t> shape, double scale) { return at::randn(shape).pow(3) * scale; };
  auto x = b.node("Conv", "c1", {"x", b.initializer("c1.weight", heavy({4, 1, 5, 5}, 0.4)), b.initializer("c1.bias", heavy({4}, 0.1))},
                  {onnx_io::Attr::Ints("strides", {2, 2})});
  x = b.node("Relu", "r1", {x});
  x = b.node("Conv", "c2", {x, b.initializer("c2.weight", heavy({8, 4, 3, 3}, 0.2)), b.initializer("c2.bias", heavy({8}, 0.1))},
             {onnx_io::Attr::Ints("strides", {2, 2})});
  x = b.node("Relu", "r2", {x});
  x = b.node("Flatten", "flat", {x});
  b.node("Gemm", "fc", {x, b.initializer("fc.weight", heavy({10, 200}, 0.1)), b.initializer("fc.bias", heavy({10}, 0.1))},
         {onnx_io::Attr::Int("transB", 1)}, "y");
  b.output("y", {-1, 10});
  const std::string path = d.file("foreign.onnx");
  onnx_io::save_model(b.finish(), path);
  return path;
}

}  // namespace

TEST(Sfi, PermutationPrefixIsASampleWithoutReplacementThatExtends) {
  const auto a = fault::permutation_prefix(1000, 300, 42);
  const auto b = fault::permutation_prefix(1000, 700, 42);
  ASSERT_EQ(a.size(), 300u);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin()));  // later rounds extend earlier ones
  EXPECT_EQ(std::set<int64_t>(b.begin(), b.end()).size(), 700u);
  for (auto v : b) EXPECT_TRUE(v >= 0 && v < 1000);
  const auto all = fault::permutation_prefix(50, 80, 7);  // clipped to n: a full permutation
  EXPECT_EQ(std::set<int64_t>(all.begin(), all.end()).size(), 50u);
  EXPECT_NE(fault::permutation_prefix(1000, 10, 1), fault::permutation_prefix(1000, 10, 2));
  // Uniformity: each of 10 buckets gets about a tenth of 20 draws x 2,000 seeds.
  std::vector<int> bucket(10, 0);
  for (uint64_t s = 0; s < 2000; ++s)
    for (auto v : fault::permutation_prefix(100, 20, s)) ++bucket[static_cast<size_t>(v / 10)];
  for (int c : bucket) EXPECT_NEAR(c, 4000, 300);
}

TEST(Sfi, StratifiedEstimateAndMarginByHand) {
  // Two strata: N 1000 / 3000, n 100 / 300, p 0.1 / 0.2. p = 0.25*0.1 + 0.75*0.2 = 0.175.
  // Agresti-Coull: p~ = (x + t^2/2) / (n + t^2); var = sum W^2 p~(1-p~)/(n + t^2) * fpc.
  const std::vector<stats::Stratum> s = {{1000, 100, 0.1}, {3000, 300, 0.2}};
  const auto e = stats::combine(s, 2.58);
  EXPECT_NEAR(e.p, 0.175, 1e-12);
  const double z2 = 2.58 * 2.58, a1 = (10 + z2 / 2) / (100 + z2), a2 = (60 + z2 / 2) / (300 + z2);
  const double var = 0.0625 * a1 * (1 - a1) / (100 + z2) * 900.0 / 999 + 0.5625 * a2 * (1 - a2) / (300 + z2) * 2700.0 / 2999;
  EXPECT_NEAR(e.margin, 2.58 * std::sqrt(var), 1e-12);
  EXPECT_NEAR(e.lo, 0.175 - e.margin, 1e-12);
  EXPECT_EQ(e.population, 4000);
  EXPECT_EQ(e.sample, 400);
  // Exhausted strata add no variance; a stratified interval never leaves [0, 1].
  EXPECT_EQ(stats::combine({{1000, 1000, 0.3}}, 2.58).margin, 0.0);
  const auto zero = stats::combine({{100000, 27, 0.0}, {100000, 27, 0.0}}, 2.58);
  EXPECT_GT(zero.margin, 0.05);  // no critical fault in 54 draws is not "p 0 ± 0"
  EXPECT_EQ(zero.lo, 0.0);
  // One stratum: two-sided Clopper-Pearson. 0 of 27 from a huge population: [0, 0.128] at 95 %,
  // [0, 0.178] at 99 % (1 - (a/2)^(1/27)).
  const auto cp95 = stats::estimate({1'000'000'000, 27, 0.0}, stats::z_of_confidence(0.95));
  EXPECT_EQ(cp95.lo, 0.0);
  EXPECT_NEAR(cp95.hi, 1 - std::pow(0.025, 1.0 / 27), 1e-6);
  EXPECT_NEAR(cp95.hi, 0.128, 0.0005);
  const auto cp99 = stats::estimate({1'000'000'000, 27, 0.0}, stats::z_of_confidence(0.99));
  EXPECT_NEAR(cp99.hi, 0.178, 0.0005);
  EXPECT_NEAR(cp99.margin, cp99.hi, 1e-15);
  // 27 of 27: the mirror image; 5 of 20 against a published value (Clopper-Pearson 95 %:
  // [0.0866, 0.4910]).
  const auto all = stats::estimate({1'000'000'000, 27, 1.0}, stats::z_of_confidence(0.95));
  EXPECT_NEAR(all.lo, std::pow(0.025, 1.0 / 27), 1e-6);
  EXPECT_EQ(all.hi, 1.0);
  const auto five = stats::clopper_pearson(5, 20, 0.95);
  EXPECT_NEAR(five.lo, 0.0866, 5e-5);
  EXPECT_NEAR(five.hi, 0.4910, 5e-5);
  // Wilson 95 % of 0/27: [0, z^2/(n + z^2)] = [0, 0.1246].
  EXPECT_NEAR(stats::wilson(0, 27, 0.95).hi, 3.8415 / (27 + 3.8415), 1e-4);
  // The finite population correction narrows the interval; a stratum drawn whole is exact.
  EXPECT_LT(stats::estimate({100, 50, 0.1}, 2.58).margin, stats::estimate({1'000'000, 50, 0.1}, 2.58).margin);
  EXPECT_EQ(stats::estimate({50, 50, 0.1}, 2.58).margin, 0.0);
  // Adaptive: a stratum with no critical fault grows until its Clopper-Pearson upper end is <= e.
  int64_t n = stats::adaptive_next(1'000'000, 0, 0, 0.01, 2.58);
  EXPECT_EQ(n, stats::kAdaptiveFirstRound);
  for (int64_t next; (next = stats::adaptive_next(1'000'000, n, 0.0, 0.01, 2.58)) > n;) n = next;
  EXPECT_LE(stats::estimate({1'000'000, n, 0.0}, 2.58).margin, 0.01);
  EXPECT_GT(stats::estimate({1'000'000, n - 1, 0.0}, 2.58).margin, 0.01);  // the smallest such n
  EXPECT_NEAR(n, 530, 5);  // ln(200) / 0.01; data-unaware would take 16,641
  EXPECT_EQ(stats::adaptive_next(500, 500, 0.3, 0.01, 2.58), 500);  // exhausted
}

TEST(Sfi, SampledFaultsGiveTheSameFactsAsTheExhaustiveRunAndEstimatesCoverIt) {
  test::TempDir d;
  const std::string pop = "layers: [fc3.weight]\nbits: 20-31\nfault_model: sa\nnonfinite: torch\n";
  run(write_yaml(d, "ex.yaml", "kind: exhaustive\n" + pop), d.file("ex.db"));
  run(write_yaml(d, "s.yaml", "kind: sfi\nmethod: data-unaware\nerror: 0.05\ntop_up: false\n" + pop), d.file("s.db"));
  store::Store ex(d.file("ex.db"), store::OpenMode::read), s(d.file("s.db"), store::OpenMode::read);
  std::map<std::string, std::vector<uint8_t>> by_fault;
  const auto ep = ex.plan();
  const auto et = ex.trials();
  ASSERT_EQ(ep.size(), 840u * 12 * 2);
  for (size_t i = 0; i < ep.size(); ++i) by_fault[key(ep[i].faults[0])] = et[i].facts;
  const auto sp = s.plan();
  const auto strials = s.trials();
  std::set<std::string> seen;
  for (size_t i = 0; i < sp.size(); ++i) {
    const auto k = key(sp[i].faults[0]);
    EXPECT_TRUE(seen.insert(k).second) << "drawn twice: " << k;
    ASSERT_TRUE(by_fault.count(k)) << k;
    EXPECT_EQ(strials[i].facts, by_fault[k]) << k;
  }
  // n per (layer, bit) stratum as eq. (3) with p = 0.5: N = 840 x 2 = 1680, e = 5 %.
  const int64_t n = stats::sample_size(1680, 0.5, {0.05, 2.58});
  EXPECT_EQ(sp.size(), static_cast<size_t>(n * 12));
  const auto crit = campaign::parse_criticality("pairs");
  const auto exact = campaign::estimate_store(ex, campaign::NonFinitePolicy::torch, crit, 2.58);
  const auto est = campaign::estimate_store(s, campaign::NonFinitePolicy::torch, crit, 2.58);
  EXPECT_EQ(exact.network.margin, 0.0);
  EXPECT_LE(std::fabs(est.network.p - exact.network.p), est.network.margin);
  ASSERT_EQ(est.bits.size(), 12u);
  int inside = 0;
  for (size_t b = 0; b < 12; ++b) inside += std::fabs(est.bits[b].second.p - exact.bits[b].second.p) <= est.bits[b].second.margin + 1e-12;
  EXPECT_GE(inside, 11);
  // The per-fault criticalities are recomputed from the same facts.
  const auto any = campaign::estimate_store(ex, campaign::NonFinitePolicy::torch, campaign::parse_criticality("any"), 2.58);
  EXPECT_GE(any.network.p, exact.network.p);
}

TEST(Sfi, DefaultDataAwarePlanKeepsItsMarginOnAnotherNetwork) {
  // The default data-aware plan (the seed-004 authors' p per bit, then top-up) at e = 0.01 on a
  // network whose weights are nothing like the authors' ResNet-20: every stratum's estimate lies
  // within its margin of the exhaustive truth, and every margin is at most 0.01.
  test::TempDir d;
  const std::string model = foreign_cnn(d);
  const std::string common = "model: " + model + "\ndata: fashion-mnist:test\nlimit: 20\nbits: 23-31\nnonfinite: torch\n";
  std::ofstream(d.file("ex.yaml")) << "kind: exhaustive\n" << common;
  std::ofstream(d.file("s.yaml")) << "kind: sfi\nmethod: data-aware\nerror: 0.01\n" << common;
  std::ofstream(d.file("raw.yaml")) << "kind: sfi\nmethod: data-aware\nerror: 0.01\ntop_up: false\n" << common;
  for (const char* n : {"ex", "s", "raw"}) {
    const auto r = test::run_cnnfi(std::string("run ") + d.file(std::string(n) + ".yaml") + " -o " + d.file(std::string(n) + ".db"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    if (std::string(n) == "s") {
      // The defaults that change a number are said: the fault model, the p rule, the top-up.
      EXPECT_NE(r.err.find("fault_model sa"), std::string::npos) << r.err;
      EXPECT_NE(r.err.find("p_rule authors"), std::string::npos) << r.err;
      EXPECT_NE(r.err.find("top_up true"), std::string::npos) << r.err;
    }
  }
  store::Store ex(d.file("ex.db"), store::OpenMode::read), s(d.file("s.db"), store::OpenMode::read);
  const auto crit = campaign::parse_criticality("pairs");
  const auto exact = campaign::estimate_store(ex, campaign::NonFinitePolicy::torch, crit, 2.58);
  const auto est = campaign::estimate_store(s, campaign::NonFinitePolicy::torch, crit, 2.58);
  ASSERT_EQ(est.strata.size(), 3u * 9);
  ASSERT_EQ(exact.strata.size(), est.strata.size());
  int outside = 0;
  for (size_t i = 0; i < est.strata.size(); ++i) {
    const auto& a = est.strata[i];
    const auto& b = exact.strata[i];
    ASSERT_EQ(a.info.point, b.info.point);
    EXPECT_LE(a.est.margin, 0.01 + 1e-12) << a.info.point << " n " << a.est.sample << " of " << a.info.population;
    EXPECT_FALSE(a.missed) << a.info.point;
    EXPECT_LE(a.est.lo, a.est.p);
    EXPECT_GE(a.est.hi, a.est.p);
    outside += !(b.est.p >= a.est.lo - 1e-12 && b.est.p <= a.est.hi + 1e-12);
  }
  EXPECT_LE(outside, 1) << "99 % intervals: at most one of 27 may miss the truth";
  EXPECT_EQ(est.missed, 0);
  // Without the top-up the authors' plan is what runs, and `estimate --json` flags every
  // stratum it leaves above the margin (with the count and the worst).
  const auto r = test::run_cnnfi("estimate " + d.file("raw.db") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["requested_error"].get<double>(), 0.01);
  EXPECT_NE(j["interval_method"].get<std::string>().find("Clopper-Pearson"), std::string::npos);
  int flagged = 0;
  for (const auto& st : j["strata"]) {
    EXPECT_EQ(st["missed"].get<bool>(), st["margin"].get<double>() > 0.01 + 1e-12) << st.dump();
    flagged += st["missed"].get<bool>();
    EXPECT_GE(st["lo"].get<double>(), 0.0);
    EXPECT_LE(st["hi"].get<double>(), 1.0);
  }
  EXPECT_EQ(j["missed"].get<int>(), flagged);
  std::printf("foreign CNN: authors' plan leaves %d of 27 strata above e = 0.01; top-up: %lld faults against %lld\n",
              flagged, static_cast<long long>(est.network.sample),
              static_cast<long long>(campaign::estimate_store(store::Store(d.file("raw.db"), store::OpenMode::read),
                                                              campaign::NonFinitePolicy::torch, crit, 2.58)
                                         .network.sample));
  if (flagged > 0) {
    const auto text = test::run_cnnfi("estimate " + d.file("raw.db"));
    EXPECT_NE(text.err.find("strata have a margin above the requested 0.01"), std::string::npos) << text.output;
  }
}

TEST(Sfi, AdaptiveSamplingGrowsUntilEveryStratumMeetsItsMargin) {
  test::TempDir d;
  const std::string yaml = write_yaml(d, "a.yaml",
                                    "kind: sfi\nmethod: adaptive\nerror: 0.02\nlayers: [fc2.weight]\nbits: 23-31\n"
                                    "fault_model: sa\nnonfinite: torch\n");
  run(yaml, d.file("a.db"));
  store::Store st(d.file("a.db"), store::OpenMode::read);
  EXPECT_GE(st.meta().rounds, 2);
  const auto e = campaign::estimate_store(st, campaign::NonFinitePolicy::torch, campaign::parse_criticality("pairs"), 2.58);
  ASSERT_EQ(e.strata.size(), 9u);
  int64_t total = 0;
  for (const auto& s : e.strata) {
    EXPECT_EQ(s.finished, s.planned);
    EXPECT_TRUE(s.est.sample == s.info.population || s.est.margin <= 0.02) << s.info.point << " n " << s.est.sample;
    EXPECT_FALSE(s.missed) << s.info.point;
    total += s.est.sample;
  }
  // Far fewer than the data-unaware plan at the same margin (p = 0.5 in every stratum).
  EXPECT_LT(total, 9 * stats::sample_size(10080 * 2, 0.5, {0.02, 2.58}));
  // Resuming a finished adaptive campaign adds nothing.
  campaign::RunOptions ro;
  ro.output = d.file("a.db");
  ro.resume = true;
  EXPECT_EQ(campaign::run_campaign(campaign::load_campaign(yaml), ro).evaluated, 0);
}

TEST(Sfi, ValidateReportsEveryMethodAgainstAnExhaustiveStore) {
  test::TempDir d;
  run(write_yaml(d, "ex.yaml", "kind: exhaustive\nlayers: [conv1.weight, fc3.weight]\nbits: 22-31\nfault_model: sa\n"),
      d.file("ex.db"));
  const auto r = test::run_cnnfi("validate " + d.file("ex.db") + " --samples 3 --error 0.05 --json " + d.file("v.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* m : {"network", "layer", "data-unaware", "data-aware", "adaptive"}) EXPECT_NE(r.output.find(m), std::string::npos) << m;
  std::ifstream in(d.file("v.json"));
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_NE(ss.str().find("\"exhaustive_p\""), std::string::npos);
  // A store that is not exhaustive is refused with a message.
  run(write_yaml(d, "s.yaml", "kind: sfi\nmethod: layer\nerror: 0.2\nlayers: [fc3.weight]\nbits: 30-31\nfault_model: sa\n"),
      d.file("s.db"));
  const auto bad = test::run_cnnfi("validate " + d.file("s.db"));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("not an exhaustive campaign"), std::string::npos) << bad.output;
}

TEST(Sfi, SeedFourExhaustiveLinearLayerCounts28406CriticalPairs) {
  const std::string shared = test::shared_data_dir();
  if (shared.empty()) GTEST_SKIP() << "../shared/data is absent";
  test::TempDir d;
  const std::string yaml = d.file("lin.yaml");
  std::ofstream(yaml) << "kind: exhaustive\nmodel: " << shared << "/resnet20.onnx\n"
                      << "data: cifar10:" << shared << "/cifar10-test-first932.bin\nper_class: 10\n"
                      << "preprocessing: {mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.2010]}\n"
                      << "layers: [linear.weight]\nfault_model: sa\nnonfinite: torch\n";
  run(yaml, d.file("lin.db"));
  store::Store st(d.file("lin.db"), store::OpenMode::read);
  int64_t critical = 0, trials = 0, images = 0;
  for (const auto& t : st.trials()) {
    critical += t.critical;
    images = t.images;
    ++trials;
  }
  EXPECT_EQ(trials, 640 * 32 * 2);
  EXPECT_EQ(images, 100);
  EXPECT_EQ(critical, 28406);
  const auto e = campaign::estimate_store(st, campaign::NonFinitePolicy::torch, campaign::parse_criticality("pairs"), 2.58);
  EXPECT_NEAR(e.network.p, 0.006935058593749999, 1e-15);  // the authors' published p
  // With NaN never the maximum (cnnfi's top1 policy) the same facts give fewer critical pairs:
  // weights in [1, 2) become NaN at bit 30 and NaN * 0 = NaN reaches every image.
  const auto mine = campaign::estimate_store(st, campaign::NonFinitePolicy::by_top1, campaign::parse_criticality("pairs"), 2.58);
  EXPECT_NEAR(mine.network.p * 4096000.0, 25050, 0.5);
}
