// Reference architectures: they build, pass the checker, train (loss falls), and export to
// ONNX files that re-import with the training-time outputs.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "data/spec.h"
#include "exec/executor.h"
#include "onnx/builder.h"
#include "onnx/export.h"
#include "onnx/import.h"
#include "support/support.h"
#include "train/arch/arch.h"
#include "train/trainer.h"

using namespace cnnfi;

namespace {

double export_roundtrip_diff(const exec::Executor& ex, const at::Tensor& x) {
  test::TempDir d;
  onnx_io::save_model(onnx_io::export_model(ex), d.file("m.onnx"));
  exec::Executor back(onnx_io::load_model(d.file("m.onnx")));
  return (ex.forward(x) - back.forward(x)).abs().max().item<double>();
}

}  // namespace

class ArchTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ArchTest, BuildsRunsAndExportsExactly) {
  train::ArchSpec spec;
  spec.channels = 3;
  spec.height = spec.width = 32;
  spec.classes = 10;
  auto ex = std::make_unique<exec::Executor>(onnx_io::load_model_proto(train::find_arch(GetParam()).build(spec), GetParam()));
  at::Generator gen = at::detail::createCPUGenerator(5);
  const at::Tensor x = at::randn({4, 3, 32, 32}, gen);
  const at::Tensor y = at::randint(0, 10, {4}, gen, at::kLong);
  EXPECT_EQ(ex->forward(x).sizes(), (std::vector<int64_t>{4, 10}));
  // A few SGD steps by hand through the executor's autograd: weights move, export stays exact.
  ex->set_training(true);
  auto params = ex->trainable();
  for (int step = 0; step < 2; ++step) {
    const at::Tensor loss = at::nll_loss(at::log_softmax(ex->forward(x), 1), y);
    for (auto& p : params)
      if (p.grad().defined()) p.mutable_grad().zero_();
    loss.backward();
    at::NoGradGuard ng;
    for (auto& p : params) p.sub_(0.01 * p.grad());
  }
  ex->set_training(false);
  EXPECT_LE(export_roundtrip_diff(*ex, x), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(All, ArchTest, ::testing::Values("lenet5", "resnet20", "mobilenetv2", "cnv"));

TEST(Train, LossFallsOnFashionMnistSubset) {
  train::ArchSpec spec;
  spec.channels = 1;
  spec.height = spec.width = 28;
  exec::Executor ex(onnx_io::load_model_proto(train::build_lenet5(spec), "lenet5"));
  data::DataSelection sel;
  sel.limit = 2000;
  auto src = data::open_spec("fashion-mnist:train", sel);
  data::Preprocess pre;
  pre.mean = {0.286f};
  pre.std = {0.353f};
  train::TrainConfig cfg;
  cfg.epochs = 3;
  cfg.lr = 0.05;
  std::vector<double> losses;
  train::train(ex, *src, pre, cfg, [&](const train::EpochStats& s) { losses.push_back(s.loss); });
  ASSERT_EQ(losses.size(), 3u);
  EXPECT_LT(losses[2], losses[0] * 0.8);
}

TEST(Train, SameSeedSameWeights) {
  train::ArchSpec spec;
  spec.seed = 42;
  const auto a = train::build_resnet20(spec), b = train::build_resnet20(spec);
  spec.seed = 43;
  const auto c = train::build_resnet20(spec);
  EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString());
  EXPECT_NE(a.SerializeAsString(), c.SerializeAsString());
}
