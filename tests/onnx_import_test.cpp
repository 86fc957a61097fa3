#include <random>

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "onnx/builder.h"
#include "onnx/import.h"
#include "support/support.h"
#include "train/arch/arch.h"
#include "util/error.h"

using namespace cnnfi;
using test::error_of;

namespace {


onnx::ModelProto small_model() {
  train::ArchSpec spec;
  spec.channels = 1;
  spec.height = spec.width = 28;
  return train::build_lenet5(spec);
}

}  // namespace

TEST(OnnxImport, GarbageBytesNameTheFile) {
  test::TempDir dir;
  std::mt19937 rng(7);
  std::string bytes(4096, '\0');
  for (auto& c : bytes) c = static_cast<char>(rng());
  const std::string path = dir.file("garbage.onnx");
  test::write_bytes(path, bytes);
  const std::string msg = error_of([&] { onnx_io::load_model(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a valid ONNX model"), std::string::npos) << msg;
}

TEST(OnnxImport, TruncatedModelNamesTheFile) {
  test::TempDir dir;
  std::string bytes;
  small_model().SerializeToString(&bytes);
  const std::string path = dir.file("truncated.onnx");
  test::write_bytes(path, bytes.substr(0, bytes.size() * 2 / 3));
  const std::string msg = error_of([&] { onnx_io::load_model(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_FALSE(msg.empty());
}

TEST(OnnxImport, EmptyAndMissingFiles) {
  test::TempDir dir;
  test::write_bytes(dir.file("empty.onnx"), "");
  EXPECT_NE(error_of([&] { onnx_io::load_model(dir.file("empty.onnx")); }).find("empty"), std::string::npos);
  const std::string msg = error_of([&] { onnx_io::load_model(dir.file("nope.onnx")); });
  EXPECT_NE(msg.find("nope.onnx"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot open"), std::string::npos) << msg;
}

TEST(OnnxImport, UnsupportedOpNamesNodeOpAndOpset) {
  onnx_io::ModelBuilder b("det");
  b.input("x", {-1, 4, 4});
  b.node("Det", "my_det", {"x"}, {}, "y");  // a determinant: no CNN needs it
  b.output("y", {-1});
  const std::string msg = error_of([&] { onnx_io::load_model_proto(b.finish(), "det.onnx"); });
  EXPECT_NE(msg.find("det.onnx"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'my_det'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Det"), std::string::npos) << msg;
  EXPECT_NE(msg.find("opset 13"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not supported"), std::string::npos) << msg;
}

TEST(OnnxImport, MissingInitializerNamesTheInput) {
  onnx::ModelProto m = small_model();
  auto* inits = m.mutable_graph()->mutable_initializer();
  for (int i = 0; i < inits->size(); ++i)
    if (inits->Get(i).name() == "conv2.weight") {
      inits->DeleteSubrange(i, 1);
      break;
    }
  const std::string msg = error_of([&] { onnx_io::load_model_proto(m, "lenet.onnx"); });
  EXPECT_NE(msg.find("lenet.onnx"), std::string::npos) << msg;
  EXPECT_NE(msg.find("conv2.weight"), std::string::npos) << msg;
}

TEST(OnnxImport, WrongInitializerSizeIsCaught) {
  onnx::ModelProto m = small_model();
  for (auto& init : *m.mutable_graph()->mutable_initializer())
    if (init.name() == "fc1.weight") init.mutable_raw_data()->resize(100);
  const std::string msg = error_of([&] { onnx_io::load_model_proto(m, "lenet.onnx"); });
  EXPECT_NE(msg.find("fc1.weight"), std::string::npos) << msg;
}

TEST(OnnxImport, PlansWeightsAndFoldsConstantSubgraphs) {
  train::ArchSpec spec;
  spec.channels = 1;
  spec.height = spec.width = 32;
  auto g = onnx_io::load_model_proto(train::build_resnet20(spec), "resnet20");
  // 19 conv + 1 FC weights, 19 BN x 4, the FC bias: every float initializer is a weight.
  EXPECT_EQ(g->weights.size(), 19u + 1u + 19u * 4u + 1u);
  // Shortcut Slice/Pad parameters are int64 constants; nothing computing them remains.
  for (const auto& n : g->nodes) {
    for (size_t i = 1; i < n.inputs.size(); ++i)
      if (n.op_type == "Pad" || n.op_type == "Slice") EXPECT_EQ(g->values[n.inputs[i]].kind, graph::ValueKind::constant);
  }
}

TEST(OnnxImport, SharedResnet20FoldsItsPadSubgraph) {
  const std::string dir = test::shared_data_dir();
  if (dir.empty()) GTEST_SKIP() << "../shared/data is absent";
  auto g = onnx_io::load_model(dir + "/resnet20.onnx");
  for (const auto& n : g->nodes) {
    EXPECT_NE(n.op_type, "ConstantOfShape") << n.name << " should have been folded";
    EXPECT_NE(n.op_type, "Cast") << n.name << " should have been folded";
    EXPECT_NE(n.op_type, "Constant") << n.name << " should have been folded";
  }
  int convs = 0;
  for (const auto& n : g->nodes) convs += n.op_type == "Conv";
  EXPECT_EQ(convs, 19);
}
