// The binary as a user runs it: bad input exits non-zero with a message naming what is wrong;
// --json prints one object with the documented keys.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>

#include "data/card.h"
#include "onnx/builder.h"
#include "support/support.h"

using namespace cnnfi;

namespace {

std::string lenet() { return test::source_dir() + "/models/lenet5-fmnist.onnx"; }

using test::expect_error;

/// The shipped LeNet-5 copied alone (no model card next to it) into `d` as `name`.
std::string bare_lenet(const test::TempDir& d, const std::string& name = "bare.onnx") {
  std::filesystem::copy_file(lenet(), d.file(name));
  return d.file(name);
}

double top1_of(const test::CommandResult& r) {
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return r.exit_code == 0 ? nlohmann::json::parse(r.out)["top1"].get<double>() : -1;
}

/// The table of `cnnfi info --quantized` (from its header line on).
std::string quantized_table(const std::string& out) {
  const auto at = out.find("\nlayer ");
  EXPECT_NE(at, std::string::npos) << out;
  return at == std::string::npos ? "" : out.substr(at);
}

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
  // Non-finite normalisation and padding that could never be allocated, on every command that takes the flags.
  expect_error("eval --model " + lenet() + " --data fashion-mnist:test --limit 4 --mean nan", {"mean", "finite", "nan"});
  expect_error("info " + lenet() + " --quantized --calibration-images 4 --std inf", {"std", "finite", "inf"});
  expect_error("eval --model " + lenet() + " --data fashion-mnist:test --limit 4 --pad 99999999", {"pad", "[0, 1024]"});
}

TEST(Cli, EvalJsonHasTheDocumentedKeys) {
  const auto r = test::run_cnnfi("eval --model " + lenet() + " --data fashion-mnist:test --limit 200 --json --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.out);
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
  const auto j = nlohmann::json::parse(r.out);
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
  EXPECT_EQ(nlohmann::json::parse(r.out)["images"].get<int>(), 100);
}

TEST(Cli, PlanJsonListsLayersAndBits) {
  const auto r = test::run_cnnfi("plan --model " + test::source_dir() +
                                 "/models/resnet20-fmnist.onnx --method data-unaware --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.out);
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

// A model without a card evaluates on raw pixels: the answer is far off, so cnnfi must say so;
// flags, the card and the ONNX metadata each restore the model's own preprocessing.
TEST(Preprocessing, NeverSilent) {
  test::TempDir d;
  const std::string args = " --data fashion-mnist:test --limit 500 --json --threads 2";
  const auto carded = test::run_cnnfi("eval --model " + lenet() + args);
  const double with_card = top1_of(carded);
  EXPECT_NE(carded.err.find("preprocessing: mean 0.286, std 0.353 (from the model card"), std::string::npos) << carded.err;
  EXPECT_EQ(carded.err.find("warning"), std::string::npos) << carded.err;

  const auto bare = bare_lenet(d);
  const auto raw = test::run_cnnfi("eval --model " + bare + args);
  EXPECT_NE(raw.err.find("warning: " + bare + " has no preprocessing"), std::string::npos) << raw.err;
  EXPECT_NE(raw.err.find("--mean/--std"), std::string::npos) << raw.err;
  EXPECT_LT(top1_of(raw), with_card - 0.02);  // raw pixels are not what LeNet-5 was trained on

  const auto flagged = test::run_cnnfi("eval --model " + bare + args + " --mean 0.2860 --std 0.3530");
  EXPECT_DOUBLE_EQ(top1_of(flagged), with_card);
  EXPECT_NE(flagged.err.find("--mean, --std from the command line"), std::string::npos) << flagged.err;

  // The model file alone, carrying its preprocessing as ONNX metadata (as cnnfi train writes it).
  onnx::ModelProto m;
  {
    std::ifstream in(lenet(), std::ios::binary);
    ASSERT_TRUE(m.ParseFromIstream(&in));
  }
  const auto pre = data::card_preprocess(lenet());
  ASSERT_TRUE(pre.has_value());
  onnx_io::set_metadata(m, data::kPreprocessKey, pre->to_json().dump());
  onnx_io::save_model(m, d.file("meta.onnx"));
  const auto meta = test::run_cnnfi("eval --model " + d.file("meta.onnx") + args);
  EXPECT_DOUBLE_EQ(top1_of(meta), with_card);
  EXPECT_NE(meta.err.find("from the ONNX metadata of"), std::string::npos) << meta.err;
  EXPECT_EQ(meta.err.find("warning"), std::string::npos) << meta.err;
}

// Integer scales are calibrated on preprocessed images: --mean/--std give the card's scales.
TEST(Preprocessing, QuantizedCalibrationTakesTheFlags) {
  test::TempDir d;
  const std::string q = " --quantized --calibration fashion-mnist:train --calibration-images 64";
  const auto carded = test::run_cnnfi("info " + lenet() + q);
  ASSERT_EQ(carded.exit_code, 0) << carded.output;
  const auto bare = bare_lenet(d);
  const auto flagged = test::run_cnnfi("info " + bare + q + " --mean 0.2860 --std 0.3530");
  ASSERT_EQ(flagged.exit_code, 0) << flagged.output;
  EXPECT_EQ(quantized_table(flagged.out), quantized_table(carded.out));
  const auto raw = test::run_cnnfi("info " + bare + q);
  ASSERT_EQ(raw.exit_code, 0) << raw.output;
  EXPECT_NE(quantized_table(raw.out), quantized_table(carded.out));
  EXPECT_NE(raw.err.find("has no preprocessing"), std::string::npos) << raw.err;
}

// An integer campaign says it ran integers, in the run's output and its store.
TEST(Labels, QuantizedCampaignIsLabelledInt8) {
  test::TempDir d;
  std::ofstream(d.file("q.yaml")) << "kind: quantized\nmodel: " << lenet()
                                  << "\nlimit: 20\nbatch: 20\ncalibration_images: 20\nrepetitions: 1\n"
                                  << "schedule: [0, 10]\nmodules: [o8]\n";
  const auto r = test::run_cnnfi("run " + d.file("q.yaml") + " -o " + d.file("q.db"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("int8-channel integer execution (modules o8, weights per channel)"), std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("fp32"), std::string::npos) << r.output;
  const auto rows = test::sql_rows(d.file("q.db"), "SELECT value FROM meta WHERE key='format'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], "int8-channel");
}

// One count of parameters, with what it counts, wherever it is printed.
TEST(Labels, ParameterCountsSayWhatTheyCount) {
  const auto r = test::run_cnnfi("info " + test::source_dir() + "/models/resnet20-fmnist.onnx");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::smatch m;
  const std::string out = r.out;
  ASSERT_TRUE(std::regex_search(out, m, std::regex("parameters: ([0-9,]+) parameters in ([0-9]+) weight tensors.*; "
                                                   "([0-9,]+) injectable in ([0-9]+) tensors.*; ([0-9,]+) in the ([0-9]+) "
                                                   "Conv/Gemm/MatMul weights")))
      << out;
  // ResNet-20 for one input channel: 268,048 Conv/Gemm weights in 20 layers (seed 004's
  // populations, as in PlanJsonListsLayersAndBits), plus the FC's 10 biases = 268,058 injectable
  // words (its convolutions have no bias: BatchNorm follows each).
  EXPECT_EQ(m[5].str(), "268,048");
  EXPECT_EQ(m[6].str(), "20");
  EXPECT_EQ(m[3].str(), "268,058");
}

// Without a terminal (a log file, tee, a batch job) a long command still reports progress.
TEST(Progress, PlainLinesWithoutATerminal) {
  test::TempDir d;
  std::ofstream(d.file("c.yaml")) << "kind: bit-sweep\nmodel: " << lenet()
                                  << "\nlimit: 200\nbits: 30-31\nrepetitions: 20\nlayers: all\n";
  setenv("CNNFI_PROGRESS_SECONDS", "0.05", 1);
  const auto r = test::run_cnnfi("run " + d.file("c.yaml") + " -o " + d.file("c.db") + " --threads 1");
  unsetenv("CNNFI_PROGRESS_SECONDS");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::regex_search(r.err, std::regex("[0-9]+/[0-9]+ [a-z]+ \\([0-9.]+ %\\), [^\n]* left\n"))) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << "carriage returns are for terminals";
}
