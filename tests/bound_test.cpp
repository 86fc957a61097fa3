// Proven outcomes (exact: false): faults a bound proves harmless on a batch are not run. The
// bound must be sound: every proven pair, evaluated, keeps its top-1 class and its top-5 outcome.
#include <fstream>

#include <gtest/gtest.h>

#include "campaign/bound.h"
#include "campaign/config.h"
#include "campaign/outcome.h"
#include "campaign/runner.h"
#include "data/card.h"
#include "data/loader.h"
#include "data/spec.h"
#include "exec/executor.h"
#include "fault/injector.h"
#include "fault/rng.h"
#include "repr/format.h"
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

namespace {

/// Largest singular value of a Conv node's operator (weights as stored), by power iteration with
/// autograd for the adjoint: a lower estimate of the true value.
double power_iteration_sigma(const exec::Executor& ex, int node, const std::vector<int64_t>& in_shape) {
  const auto& g = ex.graph();
  const auto& n = g.nodes[static_cast<size_t>(node)];
  at::Tensor v = at::randn(in_shape, at::TensorOptions().dtype(at::kDouble));
  v = v / v.norm();
  double sigma = 0;
  for (int it = 0; it < 60; ++it) {
    at::Tensor x = v.detach().to(at::kFloat).set_requires_grad(true);
    std::vector<at::Tensor> ins = {x, ex.weight(g.values[static_cast<size_t>(n.inputs[1])].name)};
    const at::Tensor y = ex.run_node(node, {ins[0], ins[1]}).at(0);
    const at::Tensor loss = 0.5 * (y * y).sum();
    loss.backward();
    sigma = std::sqrt(2 * loss.item<double>());
    v = x.grad().to(at::kDouble);
    v = v / v.norm();
  }
  return sigma;
}

}  // namespace

TEST(Bound, ConvSingularValueBoundsArePowerIterationsUpperBounds) {
  // Every Conv of the shipped ResNet-20 (no bias path: the operator is linear without it).
  at::manual_seed(3);
  exec::Executor ex(onnx_io::load_model(test::source_dir() + "/models/resnet20-fmnist.onnx"));
  campaign::OutputBound bound(ex);
  bound.record_shapes(at::zeros({1, 1, 32, 32}));
  const auto& g = ex.graph();
  int convs = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const auto& n = g.nodes[i];
    if (n.op_type != "Conv") continue;
    const auto sigma = bound.conv_sigma(static_cast<int>(i), false);
    ASSERT_TRUE(sigma) << n.name;
    // The input shape of this Conv: from a forward with a hook.
    const auto cache = ex.capture(at::zeros({1, 1, 32, 32}), {static_cast<int>(i)});
    const auto shape = cache.values.at(n.inputs[0]).sizes().vec();
    const double est = power_iteration_sigma(ex, static_cast<int>(i), shape);
    EXPECT_LE(est, *sigma * (1 + 1e-5)) << n.name << ": the bound is below the operator's norm";
    EXPECT_LE(*sigma, 1.1 * est) << n.name << ": the bound should be close (circular padding costs little)";
    ++convs;
  }
  EXPECT_GE(convs, 19);
}

TEST(Bound, EveryFaultMovesEachLogitPairByLessThanTwiceItsBound) {
  // Random single weight flips (mantissa, sign and exponent bits with a finite result) in every
  // layer of the shipped ResNet-20 and LeNet-5: the change of each pair of logits, evaluated,
  // stays within twice the image's bound (the proof's premise); and for early layers the 2-norm
  // bound is far below the max-norm one.
  for (const char* model : {"resnet20-fmnist.onnx", "lenet5-fmnist.onnx"}) {
    exec::Executor ex(onnx_io::load_model(test::source_dir() + "/models/" + model));
    fault::WeightInjector inj(ex, repr::find_format("fp32"));
    data::DataSelection sel;
    sel.limit = 20;
    auto src = data::open_spec("fashion-mnist:test", sel);
    data::Loader loader(*src, *data::card_preprocess(test::source_dir() + "/models/" + model), 20);
    data::Batch b;
    ASSERT_TRUE(loader.next(b));
    campaign::OutputBound bound(ex);
    bound.record_shapes(b.images);
    const at::Tensor golden = ex.forward(b.images).to(at::kDouble);
    const auto& g = ex.graph();
    fault::Rng rng(11);
    int checked = 0, tighter = 0;
    for (const auto& p : inj.params()) {
      const int v = g.value(p);
      const int node = g.values[static_cast<size_t>(v)].consumers.at(0);
      const auto& n = g.nodes[static_cast<size_t>(node)];
      int slot = -1;
      for (size_t i = 0; i < n.inputs.size(); ++i)
        if (n.inputs[i] == v) slot = static_cast<int>(i);
      const auto cache = ex.capture(b.images, {node});
      const at::Tensor x = cache.values.at(n.inputs[0]);
      for (int k = 0; k < 4; ++k) {
        fault::WeightFault f;
        f.param = p;
        f.flat_index = static_cast<int64_t>(rng.below(static_cast<uint64_t>(inj.numel(p))));
        f.bit = static_cast<int>(std::vector<int>{3, 17, 22, 31, 25}[rng.below(5)]);
        if (!inj.inject({f})) continue;
        const auto [before, after] = inj.changes().front();
        const at::Tensor faulty = ex.forward(b.images).to(at::kDouble);
        inj.restore();
        const auto bnd = bound.image_bound(node, slot, f.flat_index, static_cast<double>(after) - before, x);
        const auto inf = bound.image_bound(node, slot, static_cast<double>(after) - before, x);
        ASSERT_TRUE(bnd) << model << " " << p;
        const at::Tensor dz = faulty - golden;
        const at::Tensor pair = dz.amax(1) - dz.amin(1);  // max over pairs of |dz_i - dz_j|
        for (int64_t i = 0; i < pair.size(0); ++i)
          EXPECT_LE(pair[i].item<double>(), 2 * (*bnd)[i].item<double>() * (1 + 1e-3) + 1e-4)
              << model << " " << p << " element " << f.flat_index << " bit " << f.bit << " image " << i;
        if (inf && (*bnd < *inf * 1e-2).all().item<bool>()) ++tighter;
        ++checked;
      }
    }
    EXPECT_GT(checked, 10) << model;
    if (std::string(model) == "resnet20-fmnist.onnx") EXPECT_GT(tighter, checked / 3) << "of " << checked;
  }
}
