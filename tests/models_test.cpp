// The shipped reference models: each has a card, and reaches the accuracy the card records
// (and the target) on the full Fashion-MNIST test set.
#include <filesystem>

#include <gtest/gtest.h>

#include "cli/common.h"
#include "data/card.h"
#include "data/loader.h"
#include "eval/evaluate.h"
#include "exec/executor.h"
#include "onnx/import.h"
#include "support/support.h"

using namespace cnnfi;

namespace {

void check_model(const std::string& file, double target) {
  const std::string path = test::source_dir() + "/models/" + file;
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  const auto card = data::read_card(path);
  ASSERT_TRUE(card.has_value()) << "no card for " << path;
  for (const char* key : {"architecture", "preprocessing", "seed", "epochs", "command", "test_accuracy"})
    EXPECT_TRUE(card->contains(key)) << key;
  cli::set_threads(0);
  exec::Executor ex(onnx_io::load_model(path));
  auto src = data::open_spec("fashion-mnist:test");
  data::Loader loader(*src, *data::card_preprocess(path), 500);
  const auto acc = eval::evaluate(ex, loader);
  EXPECT_EQ(acc.images, 10000);
  EXPECT_GE(acc.top1(), target);
  EXPECT_EQ(acc.top1_correct, (*card)["test_accuracy"]["top1_correct"].get<int64_t>());
}

}  // namespace

TEST(ShippedModels, Lenet5Fmnist) { check_model("lenet5-fmnist.onnx", 0.89); }
TEST(ShippedModels, Resnet20Fmnist) { check_model("resnet20-fmnist.onnx", 0.91); }
// Seed 002's k-bit CNVs (half width, docs/models.md): the targets, and their weights are
// the codes the binary / int2 formats hold.
TEST(ShippedModels, CnvW1A1Fmnist) { check_model("cnv-w1a1-fmnist.onnx", 0.80); }
TEST(ShippedModels, CnvW2A2Fmnist) { check_model("cnv-w2a2-fmnist.onnx", 0.85); }
