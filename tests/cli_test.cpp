// The binary as a user runs it: bad input exits non-zero with a message naming what is wrong;
// --json prints one object with the documented keys.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/support.h"

using namespace cnnfi;

namespace {

std::string lenet() { return test::source_dir() + "/models/lenet5-fmnist.onnx"; }

using test::expect_error;

}  // namespace

TEST(Cli, GarbageModel) {
  test::TempDir d;
  test::write_bytes(d.file("bad.onnx"), std::string(1000, '\x7f'));
  expect_error("eval --model " + d.file("bad.onnx") + " --data fashion-mnist:test --limit 10",
               {"bad.onnx", "not a valid ONNX model"});
}

TEST(Cli, TruncatedModel) {
  test::TempDir d;
  const auto size = std::filesystem::file_size(lenet());
  std::filesystem::copy_file(lenet(), d.file("t.onnx"));
  std::filesystem::resize_file(d.file("t.onnx"), size / 2);
  expect_error("eval --model " + d.file("t.onnx") + " --data fashion-mnist:test --limit 10", {"t.onnx"});
}

TEST(Cli, WrongIdxMagic) {
  test::TempDir d;
  test::write_bytes(d.file("img"), std::string("\x00\x00\x08\x01\x00\x00\x00\x01", 8) + std::string(10, '\0'));
  test::write_bytes(d.file("lab"), std::string("\x00\x00\x08\x01\x00\x00\x00\x01\x03", 9));
  expect_error("eval --model " + lenet() + " --data idx:" + d.file("img") + "," + d.file("lab"), {"img", "magic"});
}

TEST(Cli, LabelsOutOfRangeForTheModel) {
  test::TempDir d;
  std::string img = std::string("\x00\x00\x08\x03\x00\x00\x00\x01\x00\x00\x00\x1c\x00\x00\x00\x1c", 16) + std::string(784, '\0');
  test::write_bytes(d.file("img"), img);
  test::write_bytes(d.file("lab"), std::string("\x00\x00\x08\x01\x00\x00\x00\x01\x0c", 9));
  expect_error("eval --model " + lenet() + " --data idx:" + d.file("img") + "," + d.file("lab"),
               {"label 12 of image 0", "10 classes"});
}

TEST(Cli, BadPreprocessingAndSpec) {
  expect_error("eval --model " + lenet() + " --data fashion-mnist:test --mean 0.1,x", {"--mean", "'x'"});
  expect_error("eval --model " + lenet() + " --data fashion-mnist:validation", {"fashion-mnist:validation"});
  expect_error("eval --model " + lenet() + " --data fashion-mnist:test --channels 3 --limit 4", {"input 'input'"});
  expect_error("train --arch vgg99 --data fashion-mnist:test --epochs 1 -o /tmp/x.onnx", {"vgg99", "resnet20"});
}

TEST(Cli, EvalJsonHasTheDocumentedKeys) {
  const auto r = test::run_cnnfi("eval --model " + lenet() + " --data fashion-mnist:test --limit 200 --json --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  for (const char* k : {"top1", "top5", "images", "images_per_s"}) EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["images"].get<int>(), 200);
  EXPECT_GT(j["top1"].get<double>(), 0.8);
  EXPECT_GE(j["top5"].get<double>(), j["top1"].get<double>());
}

TEST(Cli, ForeignResnet20MatchesPyTorchOnCifar10Subset) {
  const std::string dir = test::shared_data_dir();
  if (dir.empty()) GTEST_SKIP() << "../shared/data is absent";
  const auto r = test::run_cnnfi("eval --model " + dir + "/resnet20.onnx --data cifar10:" + dir +
                                 "/cifar10-test-first932.bin --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["images"].get<int>(), 932);
  EXPECT_EQ(j["top1_correct"].get<int>(), 854);  // PyTorch and ONNX Runtime: 854 / 932 (91.63 %)
}

TEST(Cli, PerClassSelectionOnTheCifarSubset) {
  const std::string dir = test::shared_data_dir();
  if (dir.empty()) GTEST_SKIP() << "../shared/data is absent";
  const auto r = test::run_cnnfi("eval --model " + dir + "/resnet20.onnx --data cifar10:" + dir +
                                 "/cifar10-test-first932.bin --per-class 10 --mean 0.4914,0.4822,0.4465 "
                                 "--std 0.2023,0.1994,0.2010 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["images"].get<int>(), 100);
}

TEST(Cli, PlanJsonListsLayersAndBits) {
  const auto r = test::run_cnnfi("plan --model " + test::source_dir() +
                                 "/models/resnet20-fmnist.onnx --method data-unaware --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  // ResNet-20 for 1-channel input: 268,048 conv/FC weights x 32 bits x 2 stuck-ats.
  EXPECT_EQ(j["total_N"].get<int64_t>(), 268048 * 64);
  ASSERT_EQ(j["layers"].size(), 20u);
  EXPECT_EQ(j["layers"][0]["name"], "conv1.weight");
  EXPECT_EQ(j["layers"][0]["N"].get<int64_t>(), 144 * 64);  // 16 x 1 x 3 x 3 weights
  ASSERT_EQ(j["layers"][0]["bits"].size(), 32u);
  EXPECT_EQ(j["layers"][0]["bits"][0]["N"].get<int64_t>(), 288);
  expect_error("plan --model " + test::source_dir() + "/models/resnet20-fmnist.onnx --method sequential",
               {"--method", "data-aware"});
}
