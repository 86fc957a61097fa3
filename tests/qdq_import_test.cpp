// Seed 003's five modules on an INT8 QDQ model cnnfi did not write (issue 24, part 3): a symmetric
// per-channel QDQ graph as quantisation tools write it, built by hand. The integer execution must
// hold the file's own integers (w8 = its int8 weights, b32 = its int32 biases), predict as the QDQ
// graph does, and a w8 or b32 flip must give exactly the logits of the same file with that integer
// changed.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "data/preprocess.h"
#include "data/source.h"
#include "exec/executor.h"
#include "onnx/builder.h"
#include "onnx/import.h"
#include "onnx/tensor.h"
#include "quant/arith.h"
#include "quant/model.h"
#include "quant/qdq_import.h"
#include "support/support.h"
#include "util/error.h"

using namespace cnnfi;
using onnx_io::Attr;
using test::error_of;

namespace {

class Images : public data::Source {
 public:
  explicit Images(int64_t n) : n_(n) {}
  int64_t size() const override { return n_; }
  data::ImageShape shape() const override { return {1, 5, 5}; }
  void read(int64_t start, int64_t count, float* px, int64_t* labels) override {
    for (int64_t i = 0; i < count * 25; ++i) px[i] = static_cast<float>(((start * 25 + i) * 53) % 97) / 97.0f - 0.3f;
    for (int64_t i = 0; i < count; ++i) labels[i] = 0;
  }
  std::vector<int64_t> labels() override { return std::vector<int64_t>(static_cast<size_t>(n_), 0); }
  std::string describe() const override { return "images"; }

 private:
  int64_t n_;
};

struct QdqParts {
  at::Tensor w1 = at::tensor({5, -3, 7, 0, 2, -8, 1, 4, -1, 12, -20, 3, 9, 0, -5, 6, 2, 1, -2, 4, 4, -6, 8, -1, 0, 3, 3},
                             at::kChar).reshape({3, 1, 3, 3});
  at::Tensor s_w1 = at::tensor({0.02f, 0.015f, 0.03f});
  at::Tensor b1 = at::tensor({40, -25, 10}, at::kInt);
  at::Tensor w2 = (at::arange(4 * 27, at::kInt).remainder(23) - 11).to(at::kChar).reshape({4, 27});
  at::Tensor b2 = at::tensor({100, -50, 0, 7}, at::kInt);
};

/// x -> QDQ(0.05) -> Conv(int8 per-channel, int32 bias) -> Relu -> QDQ(0.02) -> Flatten -> QDQ(0.02)
/// -> Gemm(int8 per-tensor 0.01, int32 bias, transB) -> QDQ(0.04): symmetric int8 throughout, or
/// (`asymmetric`) uint8 activations with zero points 120 at the input and 90 at the output, as
/// ONNX Runtime's quantiser writes activations by default.
onnx::ModelProto qdq_model(const QdqParts& p, bool asymmetric = false) {
  onnx_io::ModelBuilder b("qdq", 13);
  b.input("x", {-1, 1, 5, 5});
  const auto scal = [&](const std::string& n, float v) { return b.initializer(n, at::scalar_tensor(v)); };
  const auto zero8 = b.initializer("zp", at::zeros({}, at::kChar));
  const auto qdq = [&](const std::string& in, const std::string& s, const std::string& name, const std::string& zp) {
    const auto q = b.node("QuantizeLinear", name + ".q", {in, s, zp});
    return b.node("DequantizeLinear", name + ".dq", {q, s, zp});
  };
  const std::string zin = asymmetric ? b.initializer("zp_in", at::full({}, 120, at::kByte)) : zero8;
  const std::string zout = asymmetric ? b.initializer("zp_out", at::full({}, 90, at::kByte)) : zero8;
  const auto x = qdq("x", scal("s0", 0.05f), "in", zin);
  const auto w1 = b.node("DequantizeLinear", "w1.dq",
                         {b.initializer("w1_int8", p.w1), b.initializer("s_w1", p.s_w1), b.initializer("zp_w1", at::zeros({3}, at::kChar))},
                         {Attr::Int("axis", 0)});
  const auto b1 = b.node("DequantizeLinear", "b1.dq", {b.initializer("b1_int32", p.b1), b.initializer("s_b1", p.s_w1 * 0.05f)},
                         {Attr::Int("axis", 0)});
  const auto c = b.node("Conv", "conv", {x, w1, b1});
  const auto r = b.node("Relu", "relu", {c});
  const auto h = qdq(r, scal("s1", 0.02f), "act1", zero8);
  const auto f = qdq(b.node("Flatten", "flatten", {h}), "s1", "flat", zero8);
  const auto w2 = b.node("DequantizeLinear", "w2.dq", {b.initializer("w2_int8", p.w2), scal("s_w2", 0.01f), zero8});
  const auto b2 = b.node("DequantizeLinear", "b2.dq", {b.initializer("b2_int32", p.b2), scal("s_b2", 0.02f * 0.01f)});
  const auto y = b.node("Gemm", "fc", {f, w2, b2}, {Attr::Int("transB", 1)});
  b.node("DequantizeLinear", "out.dq", {b.node("QuantizeLinear", "out.q", {y, scal("s2", 0.04f), zout}), "s2", zout}, {}, "y");
  b.output("y", {-1, 4});
  return b.finish();
}

struct Integer {
  std::unique_ptr<exec::Executor> ex;
  std::unique_ptr<quant::QuantizedModel> q;
  explicit Integer(const onnx::ModelProto& m) {
    ex = std::make_unique<exec::Executor>(onnx_io::load_model_proto(quant::adopt_qdq(m, "qdq.onnx"), "qdq.onnx"));
    q = std::make_unique<quant::QuantizedModel>(*ex);
    Images calib(8);
    q->calibrate(calib, data::Preprocess{}, 8);
  }
};

at::Tensor batch() {
  Images im(6);
  at::Tensor x = at::empty({6, 1, 5, 5});
  std::vector<int64_t> labels(6);
  im.read(0, 6, x.data_ptr<float>(), labels.data());
  return x;
}

}  // namespace

TEST(QdqImport, TheIntegerExecutionHoldsTheFilesIntegersAndPredictsAsTheQdqGraph) {
  const QdqParts p;
  const onnx::ModelProto m = qdq_model(p);
  EXPECT_TRUE(quant::has_qdq_layers(m));
  Integer in(m);
  ASSERT_EQ(in.q->layers().size(), 2u);
  const auto& conv = in.q->layers()[0];
  const auto& fc = in.q->layers()[1];
  EXPECT_TRUE(at::equal(conv.w8, p.w1.to(at::kDouble)));
  EXPECT_TRUE(at::equal(conv.b32, p.b1.to(at::kDouble)));
  EXPECT_TRUE(at::equal(fc.w8, p.w2.to(at::kDouble)));
  EXPECT_TRUE(at::equal(fc.b32, p.b2.to(at::kDouble)));
  EXPECT_DOUBLE_EQ(conv.s_in, static_cast<double>(0.05f));
  EXPECT_DOUBLE_EQ(conv.s_out, static_cast<double>(0.02f));
  EXPECT_DOUBLE_EQ(fc.s_out, static_cast<double>(0.04f));
  // The QDQ graph as written, run by cnnfi's float executor (QuantizeLinear / DequantizeLinear
  // nodes), against the integer execution: the same int8 outputs.
  exec::Executor qdq(onnx_io::load_model_proto(m, "qdq.onnx"));
  const at::Tensor x = batch();
  const at::Tensor a = qdq.forward(x), b = in.ex->forward(x);
  EXPECT_TRUE(at::allclose(a, b, 0, 1e-6)) << a << b;
  EXPECT_GT(a.abs().sum().item<float>(), 0.0f);
}

TEST(QdqImport, AW8OrB32FlipEqualsTheFileWithThatIntegerChanged) {
  const QdqParts p;
  Integer in(qdq_model(p));
  const at::Tensor x = batch().narrow(0, 0, 1);
  const at::Tensor golden = in.ex->forward(x);
  struct Case {
    quant::Module module;
    int layer;
    int64_t element;
    int bit;
  };
  for (const Case c : {Case{quant::Module::w8, 0, 9, 6}, Case{quant::Module::w8, 1, 30, 2}, Case{quant::Module::b32, 0, 1, 9},
                       Case{quant::Module::b32, 1, 2, 12}}) {
    in.q->arm({quant::Fault{0, c.layer, c.module, c.element, c.bit}}, 0, 1);
    const at::Tensor faulty = in.ex->forward(x);
    in.q->disarm();
    QdqParts edited = p;
    at::Tensor& t = c.module == quant::Module::b32 ? (c.layer == 0 ? edited.b1 : edited.b2) : c.layer == 0 ? edited.w1 : edited.w2;
    t = t.clone();
    const int bits = c.module == quant::Module::b32 ? 32 : 8;
    const double v = t.view({-1})[c.element].item<double>();
    t.view({-1})[c.element] = quant::flip(v, bits, c.bit);
    Integer changed(qdq_model(edited));
    EXPECT_TRUE(at::equal(faulty, changed.ex->forward(x))) << quant::to_string(c.module) << " " << c.element;
    // (A w8 flip of the last layer may meet a zero input after the Relu; the others must show.)
    if (c.layer == 0 || c.module == quant::Module::b32)
      EXPECT_FALSE(at::equal(faulty, golden)) << quant::to_string(c.module) << " " << c.element;
  }
}

// uint8 activations with zero points: i8 and o8 hold the model's codes (120 + x / s), the
// predictions are the QDQ graph's, and an i8 / o8 flip acts on the unsigned word.
TEST(QdqImport, Uint8ActivationsWithZeroPointsAreTheModelsOwnCodes) {
  const QdqParts p;
  const onnx::ModelProto m = qdq_model(p, true);
  Integer in(m);
  const auto& conv = in.q->layers()[0];
  EXPECT_EQ(conv.in_codes.zero_point, 120);
  EXPECT_TRUE(conv.in_codes.is_unsigned);
  EXPECT_EQ(in.q->layers()[1].out_codes.zero_point, 90);
  EXPECT_TRUE(at::equal(conv.w8, p.w1.to(at::kDouble)));
  exec::Executor qdq(onnx_io::load_model_proto(m, "qdq.onnx"));
  const at::Tensor x = batch();
  EXPECT_TRUE(at::allclose(qdq.forward(x), in.ex->forward(x), 0, 1e-6));
  // The observer sees codes minus the zero point: input element 0 of image 0 is x = -0.3
  // (code 120 - 6 = 114); flipping bit 7 of 114 (0111 0010) gives 242, x' = (242 - 120) * 0.05.
  double seen = 0;
  in.q->observe([&](const quant::QuantLayer& l, const at::Tensor& i8, const at::Tensor&) {
    if (l.node == conv.node) seen = i8.view({-1})[0].item<double>();
  });
  in.q->arm({quant::Fault{0, 0, quant::Module::i8, 0, 7}}, 0, 1);
  in.ex->forward(x.narrow(0, 0, 1));
  in.q->disarm();
  EXPECT_EQ(seen, 242 - 120);
  EXPECT_EQ(quant::flip(114, conv.in_codes, 7), 242);
  EXPECT_EQ(quant::flip(250, quant::Codes{0, true}, 7), 122);
}

TEST(QdqImport, AsymmetricWeightsOrUnquantisedLayersAreRefusedNamingTheNode) {
  const QdqParts p;
  // A weight zero point that is not 0.
  onnx::ModelProto m = qdq_model(p);
  for (auto& t : *m.mutable_graph()->mutable_initializer())
    if (t.name() == "zp_w1") onnx_io::from_tensor(at::ones({3}, at::kChar), t);
  std::string msg = error_of([&] { quant::adopt_qdq(m, "zw.onnx"); });
  EXPECT_NE(msg.find("zw.onnx: node 'conv'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("zero point"), std::string::npos) << msg;
  // A layer whose output is not requantised.
  onnx::ModelProto open = qdq_model(p);
  auto* g = open.mutable_graph();
  for (auto& n : *g->mutable_node())
    if (n.name() == "out.dq") n.set_input(0, "fc_out");
  msg = error_of([&] { quant::adopt_qdq(open, "open.onnx"); });
  EXPECT_NE(msg.find("node 'fc'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("o8"), std::string::npos) << msg;
  // A float model is not a QDQ model.
  onnx_io::ModelBuilder b("float");
  b.input("x", {-1, 4});
  b.node("Gemm", "fc", {"x", b.initializer("w", at::ones({2, 4}))}, {Attr::Int("transB", 1)}, "y");
  b.output("y", {-1, 2});
  const auto fm = b.finish();
  EXPECT_FALSE(quant::has_qdq_layers(fm));
  EXPECT_NE(error_of([&] { quant::adopt_qdq(fm, "f.onnx"); }).find("not a QDQ model"), std::string::npos);
}

// QLinearConv (ONNX's QOperator format, as ONNX Runtime's quantiser writes it with
// QuantFormat.QOperator): rewritten as the QDQ layers that compute the same, then adopted. Two
// chained QLinearConvs with uint8 activations: the integer execution equals cnnfi running the
// QLinearConv nodes as written, and a w8 flip equals the file with that weight changed.
TEST(QdqImport, QLinearConvModelsGetTheModulesToo) {
  const QdqParts p;
  const auto model = [&](const at::Tensor& w1) {
    onnx_io::ModelBuilder b("qlinear", 13);
    b.input("x", {-1, 1, 5, 5});
    const auto s0 = b.initializer("s0", at::scalar_tensor(0.05f)), z0 = b.initializer("z0", at::full({}, 128, at::kByte));
    const auto s1 = b.initializer("s1", at::scalar_tensor(0.02f)), z1 = b.initializer("z1", at::full({}, 10, at::kByte));
    const auto s2 = b.initializer("s2", at::scalar_tensor(0.03f)), z2 = b.initializer("z2", at::full({}, 100, at::kByte));
    const auto xq = b.node("QuantizeLinear", "in.q", {"x", s0, z0});
    const auto c1 = b.node("QLinearConv", "conv1",
                           {xq, s0, z0, b.initializer("w1", w1), b.initializer("sw1", p.s_w1),
                            b.initializer("zw1", at::zeros({3}, at::kChar)), s1, z1, b.initializer("b1", p.b1)},
                           {Attr::Ints("pads", {1, 1, 1, 1})});
    const auto w2 = (at::arange(27, at::kInt).remainder(9) - 4).to(at::kChar).reshape({1, 3, 3, 3});
    const auto c2 = b.node("QLinearConv", "conv2",
                           {c1, s1, z1, b.initializer("w2", w2), b.initializer("sw2", at::scalar_tensor(0.04f)),
                            b.initializer("zw2", at::zeros({}, at::kChar)), s2, z2});
    b.node("DequantizeLinear", "out.dq", {c2, s2, z2}, {}, "y");
    b.output("y", {-1, 1, 3, 3});
    return b.finish();
  };
  const onnx::ModelProto m = model(p.w1);
  EXPECT_TRUE(quant::has_qdq_layers(m));
  Integer in(m);
  ASSERT_EQ(in.q->layers().size(), 2u);
  EXPECT_TRUE(at::equal(in.q->layers()[0].w8, p.w1.to(at::kDouble)));
  EXPECT_TRUE(at::equal(in.q->layers()[0].b32, p.b1.to(at::kDouble)));
  EXPECT_EQ(in.q->layers()[0].in_codes.zero_point, 128);
  EXPECT_EQ(in.q->layers()[1].out_codes.zero_point, 100);
  exec::Executor as_written(onnx_io::load_model_proto(m, "qlinear.onnx"));
  const at::Tensor x = batch();
  const at::Tensor golden = in.ex->forward(x);
  EXPECT_TRUE(at::allclose(as_written.forward(x), golden, 0, 1e-6)) << as_written.forward(x) << golden;
  in.q->arm({quant::Fault{0, 0, quant::Module::w8, 4, 6}}, 0, 1);
  const at::Tensor faulty = in.ex->forward(x.narrow(0, 0, 1));
  in.q->disarm();
  at::Tensor edited = p.w1.clone();
  edited.view({-1})[4] = quant::flip(edited.view({-1})[4].item<double>(), 8, 6);
  exec::Executor changed(onnx_io::load_model_proto(model(edited), "edited.onnx"));
  EXPECT_TRUE(at::allclose(changed.forward(x.narrow(0, 0, 1)), faulty, 0, 1e-6));
  EXPECT_FALSE(at::equal(faulty, golden.narrow(0, 0, 1)));
}
