// cnnfi fit: formulas expanded as R expands them, least squares against the NIST StRD certified
// values (tests/data/nist), factor coding by hand, and the fit of a small campaign's trials
// against an independent fit written here (SVD of a design built from the store's facts).
#include <cmath>
#include <fstream>

#include <Eigen/Dense>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

#include "campaign/outcome.h"
#include "fault/fault_model.h"
#include "stats/formula.h"
#include "stats/likelihood.h"
#include "stats/ols.h"
#include "store/store.h"
#include "support/support.h"

using namespace cnnfi;

namespace {

std::vector<std::string> names(const stats::Formula& f) {
  std::vector<std::string> out;
  for (const auto& t : f.terms) out.push_back(stats::term_name(t));
  return out;
}

/// Significant digits to which `got` agrees with `want` (NIST's log relative error).
double lre(double got, double want) {
  if (got == want) return 16;
  if (want == 0) return -std::log10(std::fabs(got));
  return -std::log10(std::fabs(got - want) / std::fabs(want));
}

}  // namespace

TEST(Formula, ExpandsAsR) {
  EXPECT_EQ(names(stats::parse_formula("y ~ a*b*c")),
            (std::vector<std::string>{"a", "b", "c", "a:b", "a:c", "b:c", "a:b:c"}));
  EXPECT_EQ(names(stats::parse_formula("y ~ (a + b + c)^2")), (std::vector<std::string>{"a", "b", "c", "a:b", "a:c", "b:c"}));
  EXPECT_EQ(names(stats::parse_formula("y~a*b - a:b + c")), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(names(stats::parse_formula("y ~ a:b + b:a")), (std::vector<std::string>{"a:b"}));
  EXPECT_EQ(names(stats::parse_formula("y ~ x + I(x^2) + C(bits)")), (std::vector<std::string>{"x", "I(x^2)", "C(bits)"}));
  // The seed's model: 4 variables, full factorial, 15 terms + intercept.
  const auto seed = stats::parse_formula("accuracy ~ bits*mode*domain*faults");
  EXPECT_EQ(seed.terms.size(), 15u);
  EXPECT_TRUE(seed.intercept);
  EXPECT_FALSE(stats::parse_formula("y ~ x - 1").intercept);
  EXPECT_FALSE(stats::parse_formula("y ~ 0 + x").intercept);
  auto err = [](const std::string& f) { return test::error_of([&] { stats::parse_formula(f); }); };
  EXPECT_NE(err("y = x").find("expected '~'"), std::string::npos);
  EXPECT_NE(err("y ~ (a + b").find("expected ')'"), std::string::npos);
  EXPECT_NE(err("y ~ a + ").find("position"), std::string::npos);
  EXPECT_NE(err("y ~ I(x)").find("I() takes a power"), std::string::npos);
}

TEST(Fit, ReproducesTheNistStrdCertifiedValues) {
  const std::string dir = test::source_dir() + "/tests/data/nist/";
  const auto cert = nlohmann::json::parse(std::ifstream(dir + "certified.json"));
  ASSERT_EQ(cert.size(), 7u);
  for (const auto& [name, c] : cert.items()) {
    const auto r = stats::fit(stats::parse_formula(c["formula"]), stats::read_csv(dir + name + ".csv"));
    const auto est = c["estimate"].get<std::vector<double>>(), se = c["std_error"].get<std::vector<double>>();
    ASSERT_EQ(r.terms.size(), est.size()) << name;
    for (size_t i = 0; i < est.size(); ++i) {
      EXPECT_GE(lre(r.terms[i].estimate, est[i]), 8.0) << name << " " << r.terms[i].term << ": " << r.terms[i].estimate;
      if (se[i] == 0)  // an exact fit (Wampler1, 2): certified 0
        EXPECT_LT(r.terms[i].std_error, 1e-8 * std::max(1.0, std::fabs(est[i]))) << name << " " << r.terms[i].term;
      else
        EXPECT_GE(lre(r.terms[i].std_error, se[i]), 8.0) << name << " " << r.terms[i].term << ": " << r.terms[i].std_error;
    }
    if (c.contains("r2")) EXPECT_GE(lre(r.r2, c["r2"].get<double>()), 8.0) << name;
    if (c.contains("residual_sd")) EXPECT_GE(lre(r.sigma, c["residual_sd"].get<double>()), 8.0) << name;
  }
}

TEST(Fit, FactorsUseTreatmentContrastsAndTheStatisticsFollowByHand) {
  test::TempDir d;
  // Group means A = 2, B = 5, C = 3 (two rows each, +-1 around them); reference A.
  std::ofstream(d.file("g.csv")) << "y,g\n1,A\n3,A\n4,B\n6,B\n2,C\n4,C\n";
  const auto r = stats::fit(stats::parse_formula("y ~ g"), stats::read_csv(d.file("g.csv")));
  ASSERT_EQ(r.terms.size(), 3u);
  EXPECT_EQ(r.terms[0].term, "(Intercept)");
  EXPECT_EQ(r.terms[1].term, "gB");
  EXPECT_EQ(r.terms[2].term, "gC");
  EXPECT_NEAR(r.terms[0].estimate, 2, 1e-12);
  EXPECT_NEAR(r.terms[1].estimate, 3, 1e-12);
  EXPECT_NEAR(r.terms[2].estimate, 1, 1e-12);
  // RSS = 6 x 1 = 6 on 3 df: sigma^2 = 2; se(intercept) = sqrt(2 / 2) = 1, se(diff) = sqrt(2 (1/2 + 1/2)).
  EXPECT_NEAR(r.sigma, std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(r.terms[0].std_error, 1.0, 1e-12);
  EXPECT_NEAR(r.terms[1].std_error, std::sqrt(2.0), 1e-12);
  // TSS: mean 10/3; R^2 = 1 - 6 / TSS; F = ((TSS - 6) / 2) / 2.
  double tss = 0;
  for (double y : {1, 3, 4, 6, 2, 4}) tss += (y - 10.0 / 3) * (y - 10.0 / 3);
  EXPECT_NEAR(r.r2, 1 - 6 / tss, 1e-12);
  EXPECT_NEAR(r.adj_r2, 1 - (6 / tss) * 5 / 3, 1e-12);
  EXPECT_NEAR(r.f, (tss - 6) / 2 / 2, 1e-12);
  // t = 3 / sqrt 2 on 3 df: two-sided p, from the t distribution's closed form for 3 df.
  const double t = 3 / std::sqrt(2.0), x = t / std::sqrt(3.0);
  const double cdf = 0.5 + (std::atan(x) + x / (1 + x * x)) / M_PI;
  EXPECT_NEAR(r.terms[1].p, 2 * (1 - cdf), 1e-12);
  // An aliased column is named.
  std::ofstream(d.file("a.csv")) << "y,a,b\n1,1,2\n2,2,4\n4,3,6\n3,4,8\n";
  const auto e = test::error_of([&] { stats::fit(stats::parse_formula("y ~ a + b"), stats::read_csv(d.file("a.csv"))); });
  EXPECT_NE(e.find("aliased"), std::string::npos) << e;
  // A non-finite predictor value is refused, naming the column and row (not taken as a factor level).
  std::ofstream(d.file("nan.csv")) << "y,x\n1,1\n2,inf\n3,4\n5,5\n";
  EXPECT_NE(test::error_of([&] { stats::fit(stats::parse_formula("y ~ x"), stats::read_csv(d.file("nan.csv"))); })
                .find("column 'x' row 2: 'inf'"),
            std::string::npos);
  // Bad CSV rows name the file and line.
  std::ofstream(d.file("bad.csv")) << "y,x\n1,2\n3\n";
  EXPECT_NE(test::error_of([&] { stats::read_csv(d.file("bad.csv")); }).find("bad.csv:3"), std::string::npos);
}

TEST(Fit, ACampaignsTableMatchesAnIndependentFit) {
  test::TempDir d;
  const std::string model = test::source_dir() + "/models/lenet5-fmnist.onnx";
  std::ofstream(d.file("q.yaml")) << "kind: quantized\nmodel: " << model
                                  << "\nlimit: 50\nbatch: 50\ncalibration_images: 50\nrepetitions: 3\n"
                                  << "schedule: [10, 100, 1000]\nmodules: [i8, o32]\n";
  auto r = test::run_cnnfi("run " + d.file("q.yaml") + " -o " + d.file("q.db"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_cnnfi("fit 'accuracy ~ modules*faults' " + d.file("q.db") + " --json " + d.file("fit.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("modules: reference i8"), std::string::npos) << r.output;
  const auto j = nlohmann::json::parse(std::ifstream(d.file("fit.json")));
  // Independent: accuracy from each trial's facts, the design built by hand, solved by SVD.
  store::Store st(d.file("q.db"), store::OpenMode::read);
  std::vector<std::array<double, 4>> x;
  std::vector<double> y;
  for (const auto& t : st.trials()) {
    int64_t correct = 0;
    for (auto f : t.facts) correct += (f & campaign::kTop1Correct) != 0;
    const double faults = std::stod(t.point.substr(t.point.find("faults=") + 7));
    const double o32 = t.point.rfind("modules=o32 ", 0) == 0 ? 1 : 0;
    x.push_back({1, o32, faults, o32 * faults});
    y.push_back(100.0 * static_cast<double>(correct) / static_cast<double>(t.facts.size()));
  }
  ASSERT_EQ(y.size(), 18u);
  Eigen::MatrixXd X(static_cast<Eigen::Index>(y.size()), 4);
  Eigen::VectorXd Y(static_cast<Eigen::Index>(y.size()));
  for (size_t i = 0; i < y.size(); ++i) {
    for (int k = 0; k < 4; ++k) X(static_cast<Eigen::Index>(i), k) = x[i][static_cast<size_t>(k)];
    Y(static_cast<Eigen::Index>(i)) = y[i];
  }
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(X, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const Eigen::VectorXd b = svd.solve(Y);
  const double s2 = (Y - X * b).squaredNorm() / (static_cast<double>(y.size()) - 4);
  const Eigen::VectorXd sv = svd.singularValues();
  const Eigen::MatrixXd cov = svd.matrixV() * sv.cwiseInverse().cwiseAbs2().asDiagonal() * svd.matrixV().transpose() * s2;
  const std::vector<std::string> expect = {"(Intercept)", "moduleso32", "faults", "moduleso32:faults"};
  ASSERT_EQ(j["terms"].size(), 4u) << j.dump(2);
  EXPECT_EQ(j["n"].get<int64_t>(), 18);
  for (int k = 0; k < 4; ++k) {
    const auto& t = j["terms"][static_cast<size_t>(k)];
    EXPECT_EQ(t["term"], expect[static_cast<size_t>(k)]);
    EXPECT_NEAR(t["estimate"].get<double>(), b(k), 1e-9 * std::max(1.0, std::fabs(b(k)))) << expect[static_cast<size_t>(k)];
    EXPECT_NEAR(t["std_error"].get<double>(), std::sqrt(cov(k, k)), 1e-9 * std::sqrt(cov(k, k)) + 1e-12) << expect[static_cast<size_t>(k)];
  }
  const double tss = (Y.array() - Y.mean()).square().sum();
  EXPECT_NEAR(j["r2"].get<double>(), 1 - (Y - X * b).squaredNorm() / tss, 1e-9);
}

TEST(Grid, SeedTwoScenariosAsOneCampaignAndTheirRegression) {
  test::TempDir d;
  const std::string model = test::source_dir() + "/models/lenet5-fmnist.onnx";
  std::ofstream(d.file("g.yaml")) << "kind: grid\nmodel: " << model
                                  << "\nlimit: 30\nrepetitions: 2\nschedule: [1, 20]\nbits: 20-30\n";
  auto r = test::run_cnnfi("run " + d.file("g.yaml") + " -o " + d.file("g.db"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  store::Store st(d.file("g.db"), store::OpenMode::read);
  // LeNet-5: 5 weighted layers, 4 ReLU outputs; 2 modes x (weights: 1 + 5, activations: 1 + 4)
  // targets x 2 fault counts x 2 repetitions.
  const auto plan = st.plan();
  EXPECT_EQ(plan.size(), 2u * (6 + 5) * 2 * 2);
  std::set<std::string> act_params;
  for (const auto& t : plan) {
    EXPECT_EQ(static_cast<int64_t>(t.faults.size()), static_cast<int64_t>(t.x)) << t.point;
    if (t.point.find("domain=activations") != std::string::npos)
      for (const auto& f : t.faults) act_params.insert(f.param);
    if (t.point.find("target=layer layer=2 ") != std::string::npos && t.point.find("domain=weights") != std::string::npos)
      for (const auto& f : t.faults) EXPECT_EQ(f.param, "conv2.weight") << t.point;
    if (t.point.find("mode=mbu") != std::string::npos)
      for (const auto& f : t.faults) EXPECT_EQ(f.model, fault::FaultModel::burst) << t.point;
  }
  EXPECT_EQ(act_params.size(), 4u);
  // The regression over the network-wide cells reads the point's variables.
  r = test::run_cnnfi("fit 'accuracy ~ mode*domain*faults' " + d.file("g.db") + " --where target=network --json " +
                      d.file("f.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(std::ifstream(d.file("f.json")));
  EXPECT_EQ(j["n"].get<int64_t>(), 2 * 2 * 2 * 2);
  EXPECT_EQ(j["terms"].size(), 8u);
  EXPECT_EQ(j["terms"][7]["term"], "modeseu:domainweights:faults");
}

TEST(Likelihood, JeffreysPosteriorByHand) {
  // Beta(1, 1) is uniform: entropy 0; Beta(2, 2): ln(1/6) - 2 psi(2) + 2 psi(4) = -0.12509.
  EXPECT_NEAR(stats::beta_entropy(1, 1), 0.0, 1e-12);
  EXPECT_NEAR(stats::beta_entropy(2, 2), std::log(1.0 / 6) - 2 * (1 - 0.5772156649015329) + 2 * (1.0 + 0.5 + 1.0 / 3 - 0.5772156649015329), 1e-12);
  // 7 of 10 tolerated: posterior Beta(7.5, 3.5), mean 7.5 / 11.
  const auto l = stats::tolerance_likelihood(7, 10);
  EXPECT_NEAR(l.mean, 7.5 / 11, 1e-12);
  EXPECT_LT(l.lo, l.mean);
  EXPECT_GT(l.hi, l.mean);
  // The interval holds 95 %: check by integrating the posterior density numerically.
  const double a = 7.5, b = 3.5, norm = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b));
  double mass = 0;
  const int steps = 200000;
  for (int i = 0; i < steps; ++i) {
    const double x = l.lo + (l.hi - l.lo) * (i + 0.5) / steps;
    mass += norm * std::pow(x, a - 1) * std::pow(1 - x, b - 1) * (l.hi - l.lo) / steps;
  }
  EXPECT_NEAR(mass, 0.95, 1e-6);
  // More trials, same share: better known (lower entropy), narrower interval.
  const auto more = stats::tolerance_likelihood(70, 100);
  EXPECT_LT(more.entropy, l.entropy);
  EXPECT_LT(more.hi - more.lo, l.hi - l.lo);
  EXPECT_NE(test::error_of([] { stats::tolerance_likelihood(11, 10); }).find("11 tolerated of 10"), std::string::npos);
}
