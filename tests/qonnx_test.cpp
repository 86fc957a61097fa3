// QONNX import (issue 24, part 1): the quantisers Brevitas and FINN write, built by hand as those
// tools write them (no opset_import for onnx.brevitas), against values worked out from the QONNX
// specification (docs/qonnx-custom-ops/ of the qonnx repository): its rounding-mode table, the
// integer ranges of (bit width, signed, narrow), Trunc's versions, OCP FP8's E4M3 and E5M2.
#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "exec/executor.h"
#include "fault/injector.h"
#include "repr/format.h"
#include "graph/graph.h"
#include <fmt/format.h>
#include "onnx/builder.h"
#include "onnx/import.h"
#include "support/support.h"
#include "util/error.h"

using namespace cnnfi;
using onnx_io::Attr;
using test::error_of;

namespace {

const char* const kDomains[] = {"onnx.brevitas", "qonnx.custom_op.general", "finn.custom_op.general"};

at::Tensor vec(std::vector<float> v) { return at::tensor(v, at::kFloat); }

/// One QONNX node `op` on input x of shape `shape`; params are initializers named p1, p2, ...
/// (an undefined tensor leaves that input out entirely).
std::shared_ptr<graph::Graph> one_node(const std::string& op, const std::vector<int64_t>& shape,
                                       const std::vector<at::Tensor>& params, const std::vector<Attr>& attrs = {},
                                       const std::string& domain = "onnx.brevitas", int opset = 11) {
  onnx_io::ModelBuilder b("q", opset);
  b.input("x", shape);
  std::vector<std::string> ins{"x"};
  for (size_t i = 0; i < params.size(); ++i)
    if (params[i].defined()) ins.push_back(b.initializer("p" + std::to_string(i + 1), params[i]));
  b.node(op, "q0", ins, attrs, "y", domain);
  b.output("y", shape);
  return onnx_io::load_model_proto(b.finish(false), "q.onnx");
}

at::Tensor run1(const std::shared_ptr<graph::Graph>& g, const at::Tensor& x) {
  exec::Executor ex(g);
  return ex.run({x})[0];
}

void expect_values(const at::Tensor& got, const std::vector<float>& want, const std::string& what) {
  ASSERT_EQ(got.numel(), static_cast<int64_t>(want.size())) << what;
  const at::Tensor g = got.reshape({-1}).to(at::kFloat).contiguous();
  for (size_t i = 0; i < want.size(); ++i) {
    const float v = g[static_cast<int64_t>(i)].item<float>();
    if (std::isnan(want[i])) EXPECT_TRUE(std::isnan(v)) << what << " [" << i << "]";
    else EXPECT_EQ(v, want[i]) << what << " [" << i << "]";
  }
}

const std::vector<float> kTable = {5.5f, 2.5f, 1.6f, 1.1f, 1.0f, -1.0f, -1.1f, -1.6f, -2.5f, -5.5f};

}  // namespace

// The specification's rounding table, column by column, in every domain and under both names.
TEST(Qonnx, QuantRoundingModesFollowTheSpecificationTable) {
  const std::vector<std::pair<std::string, std::vector<float>>> table = {
      {"ROUND", {6, 2, 2, 1, 1, -1, -1, -2, -2, -6}},     {"CEIL", {6, 3, 2, 2, 1, -1, -1, -1, -2, -5}},
      {"FLOOR", {5, 2, 1, 1, 1, -1, -2, -2, -3, -6}},     {"UP", {6, 3, 2, 2, 1, -1, -2, -2, -3, -6}},
      {"DOWN", {5, 2, 1, 1, 1, -1, -1, -1, -2, -5}},      {"HALF_UP", {6, 3, 2, 1, 1, -1, -1, -2, -3, -6}},
      {"half_down", {5, 2, 2, 1, 1, -1, -1, -2, -2, -5}},
  };
  for (const char* domain : kDomains)
    for (const char* op : {"Quant", "IntQuant"})
      for (const auto& [mode, want] : table) {
        auto g = one_node(op, {1, 10}, {at::scalar_tensor(1.0f), at::scalar_tensor(0.0f), at::scalar_tensor(8.0f)},
                          {Attr::Str("rounding_mode", mode)}, domain);
        expect_values(run1(g, vec(kTable).reshape({1, 10})), want, std::string(domain) + " " + op + " " + mode);
      }
}

// Integer ranges: 1, 2, 4 and 8 bits, signed and unsigned, narrow or not. Inputs far outside the
// range land on its ends; 1-bit signed is bipolar (+-1), as QONNX executes Brevitas' 1-bit Quant.
TEST(Qonnx, QuantClampsToTheRangeOfItsBitWidthSignednessAndNarrowness) {
  struct Case {
    int bits, is_signed, narrow;
    float lo, hi;
  };
  const Case cases[] = {
      {1, 0, 0, 0, 1},    {2, 1, 0, -2, 1},    {2, 1, 1, -1, 1},     {2, 0, 0, 0, 3},    {2, 0, 1, 0, 2},
      {4, 1, 0, -8, 7},   {4, 1, 1, -7, 7},    {4, 0, 0, 0, 15},     {4, 0, 1, 0, 14},   {8, 1, 0, -128, 127},
      {8, 1, 1, -127, 127}, {8, 0, 0, 0, 255}, {8, 0, 1, 0, 254},   {16, 1, 0, -32768, 32767},
  };
  for (const auto& c : cases) {
    const std::string what = fmt::format("{} bits signed {} narrow {}", c.bits, c.is_signed, c.narrow);
    auto g = one_node("Quant", {1, 3},
                      {at::scalar_tensor(0.5f), at::scalar_tensor(0.0f), at::tensor(int32_t(c.bits), at::kInt)},
                      {Attr::Int("signed", c.is_signed), Attr::Int("narrow", c.narrow)});
    // x / 0.5 = -2e5, 2e5, 0.5 (-> 0 half to even)
    expect_values(run1(g, vec({-1e5f, 1e5f, 0.25f}).reshape({1, 3})), {c.lo * 0.5f, c.hi * 0.5f, 0.0f}, what);
  }
  auto bipolar = one_node("Quant", {1, 4}, {at::scalar_tensor(0.25f), at::scalar_tensor(0.0f), at::scalar_tensor(1.0f)});
  expect_values(run1(bipolar, vec({-3, -0.01f, 0, 2}).reshape({1, 4})), {-0.25f, -0.25f, 0.25f, 0.25f}, "1-bit signed");
}

// Per-channel scales and a zero point (unsigned 8-bit around 128).
TEST(Qonnx, QuantScalesPerChannelAndShiftsByTheZeroPoint) {
  auto g = one_node("Quant", {2, 3}, {vec({1.0f, 0.5f}).reshape({2, 1}), at::scalar_tensor(0.0f), at::scalar_tensor(4.0f)});
  expect_values(run1(g, vec({0.6f, 9, -9, 0.6f, 9, -9}).reshape({2, 3})), {1, 7, -8, 0.5f, 3.5f, -4}, "per channel");
  auto z = one_node("Quant", {1, 4}, {at::scalar_tensor(0.25f), at::scalar_tensor(128.0f), at::scalar_tensor(8.0f)},
                    {Attr::Int("signed", 0)});
  // x / 0.25 + 128: 130.5 -> 130, 131.5 -> 132 (half to even), -40 -> 0 (clamped), 200 -> 255
  expect_values(run1(z, vec({0.625f, 0.875f, -42, 50}).reshape({1, 4})), {0.5f, 1.0f, -32, 31.75f}, "zero point");
}

TEST(Qonnx, BipolarQuantSignsTimesScale) {
  auto g = one_node("BipolarQuant", {2, 3}, {vec({0.25f, 2.0f}).reshape({2, 1})}, {}, "qonnx.custom_op.general");
  expect_values(run1(g, vec({-0.0f, -1e-9f, 3, 0, -7, 1}).reshape({2, 3})), {0.25f, -0.25f, 0.25f, 2, -2, 2}, "bipolar");
}

// Trunc version 1 (5 inputs), version 2 (6) and the current signature (7; out_zeropt unused).
TEST(Qonnx, TruncDropsLowBitsInEachVersion) {
  const at::Tensor one = at::scalar_tensor(1.0f), zero = at::scalar_tensor(0.0f), in8 = at::scalar_tensor(8.0f),
                   out4 = at::scalar_tensor(4.0f), out_scale = at::scalar_tensor(16.0f);
  const at::Tensor x = vec({37, -37, 1000, -1000}).reshape({1, 4});
  // version 1: round(x) / 2^(8-4), FLOOR by default, no clamp, times the input scale
  expect_values(run1(one_node("Trunc", {1, 4}, {one, zero, in8, out4}), x), {2, -3, 62, -63}, "v1 floor");
  expect_values(run1(one_node("Trunc", {1, 4}, {one, zero, in8, out4}, {Attr::Str("rounding_mode", "ROUND")}), x),
                {2, -2, 62, -62}, "v1 round");
  // version 2: t = 2^round(log2(16 / 1)) = 16, clamp to signed 4-bit [-8, 7], times out_scale 16
  expect_values(run1(one_node("Trunc", {1, 4}, {one, zero, in8, out_scale, out4}), x), {32, -48, 112, -128}, "v2");
  expect_values(run1(one_node("Trunc", {1, 4}, {one, zero, in8, out_scale, out4}, {Attr::Int("narrow", 1)}), x),
                {32, -48, 112, -112}, "v2 narrow");
  expect_values(run1(one_node("Trunc", {1, 4}, {one, zero, in8, out_scale, zero, out4}), x), {32, -48, 112, -128},
                "7 inputs");
}

// FP8 as OCP defines it: E4M3 (bias 7, max 448) and E5M2 (bias 15, max 57344).
TEST(Qonnx, FloatQuantRoundsToMinifloatGrids) {
  const auto e4m3 = [](std::vector<Attr> attrs) {
    return one_node("FloatQuant", {1, 8},
                    {at::scalar_tensor(1.0f), at::scalar_tensor(4.0f), at::scalar_tensor(3.0f), at::scalar_tensor(7.0f),
                     at::scalar_tensor(448.0f)},
                    std::move(attrs), "qonnx.custom_op.general");
  };
  const at::Tensor x = vec({1.0f, 1.1f, 0.3f, 500, -500, 1e-4f, 17, 0.0029296875f}).reshape({1, 8});
  // 1.1 -> grid 1/8: 1.125; 0.3 -> grid 1/32: 0.3125; 17 -> grid 2: 8.5 -> 8 -> 16 (half to even);
  // 1e-4 -> below the subnormal step 2^-9: 0; 1.5 * 2^-9 -> 2 * 2^-9 (half to even)
  expect_values(run1(e4m3({}), x), {1, 1.125f, 0.3125f, 448, -448, 0, 16, 0.00390625f}, "E4M3");
  const float nan = NAN, inf = INFINITY;
  expect_values(run1(e4m3({Attr::Int("saturation", 0), Attr::Int("has_nan", 1)}), x),
                {1, 1.125f, 0.3125f, nan, nan, 0, 16, 0.00390625f}, "E4M3 NaN");
  expect_values(run1(e4m3({Attr::Int("saturation", 0), Attr::Int("has_infinity", 1)}), x),
                {1, 1.125f, 0.3125f, inf, -inf, 0, 16, 0.00390625f}, "E4M3 inf");
  auto e5m2 = one_node("FloatQuant", {1, 3},
                       {at::scalar_tensor(0.5f), at::scalar_tensor(5.0f), at::scalar_tensor(2.0f),
                        at::scalar_tensor(15.0f), at::scalar_tensor(57344.0f)},
                       {}, "finn.custom_op.general");
  // x / 0.5: 6.6 -> grid 1: 7 -> 3.5; 1e6 -> 57344 -> 28672; 0.75 -> 0.75 (grid 1/8) -> 0.375
  expect_values(run1(e5m2, vec({3.3f, 5e5f, 0.375f}).reshape({1, 3})), {3.5f, 28672, 0.375f}, "E5M2");
}

// A Brevitas export: Quant on the weight and on the activation, no opset_import for onnx.brevitas.
// The checker and shape inference accept it, shapes are inferred through the quantisers, and the
// scale, zero point and bit width are quantiser constants, not weight memory.
TEST(Qonnx, BrevitasStyleConvImportsWithShapesThroughTheQuantisers) {
  onnx_io::ModelBuilder b("brevitas", 11);
  b.input("x", {-1, 1, 6, 6});
  const std::string s = b.initializer("s", at::scalar_tensor(0.125f));
  const std::string ws = b.initializer("ws", at::full({2, 1, 1, 1}, 0.25f));
  const std::string z = b.initializer("z", at::scalar_tensor(0.0f));
  const std::string bw = b.initializer("bw", at::scalar_tensor(4.0f));
  const std::string w = b.initializer("w", at::randn({2, 1, 3, 3}));
  b.node("Quant", "in_q", {"x", s, z, bw}, {Attr::Int("signed", 1), Attr::Int("narrow", 0), Attr::Str("rounding_mode", "ROUND")}, "xq", "onnx.brevitas");
  b.node("Quant", "w_q", {w, ws, z, bw}, {Attr::Int("narrow", 1)}, "wq", "onnx.brevitas");
  b.node("Conv", "conv", {"xq", "wq"}, {}, "y");
  b.output("y", {-1, 2, 4, 4});
  onnx::ModelProto m = b.finish(false);
  ASSERT_EQ(m.opset_import_size(), 1);
  auto g = onnx_io::load_model_proto(m, "brevitas.onnx");
  const auto& xq_value = g->values[g->value("xq")];  // inferred through the activation quantiser's schema
  EXPECT_TRUE(xq_value.shape_known);
  EXPECT_EQ(xq_value.shape, (std::vector<int64_t>{-1, 1, 6, 6}));
  for (const char* p : {"s", "ws", "z", "bw"}) EXPECT_EQ(g->values[g->value(p)].kind, graph::ValueKind::constant) << p;
  // The weight quantiser is folded: its output is the weight memory, the float original is not.
  EXPECT_EQ(g->values[g->value("w")].kind, graph::ValueKind::constant);
  EXPECT_EQ(g->values[g->value("wq")].kind, graph::ValueKind::weight);
  const at::Tensor x = at::randn({3, 1, 6, 6});
  const at::Tensor xq = at::clamp(at::round(x / 0.125), -8, 7) * 0.125;
  const at::Tensor wqv = at::clamp(at::round(g->tensors.at(g->value("w")) / 0.25), -7, 7) * 0.25;
  EXPECT_TRUE(at::allclose(run1(g, x), at::conv2d(xq, wqv), 1e-5, 1e-5));
}

// Every new input that makes no sense is refused at import, naming the node and the value.
TEST(Qonnx, NonsenseParametersAreRefusedNamingTheNodeAndValue) {
  const at::Tensor one = at::scalar_tensor(1.0f), zero = at::scalar_tensor(0.0f), b8 = at::scalar_tensor(8.0f);
  const auto refuse = [&](const std::string& op, std::vector<at::Tensor> params, std::vector<Attr> attrs,
                          std::vector<std::string> needles, const std::string& domain = "onnx.brevitas") {
    const std::string msg = error_of([&] { exec::Executor ex(one_node(op, {1, 4}, params, attrs, domain)); });
    EXPECT_NE(msg.find("q0"), std::string::npos) << msg;
    for (const auto& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << "'" << n << "' not in: " << msg;
  };
  refuse("Quant", {one, zero, at::scalar_tensor(0.0f)}, {}, {"bitwidth", "= 0", "[1, 32]"});
  refuse("Quant", {one, zero, at::scalar_tensor(33.0f)}, {}, {"bitwidth", "= 33"});
  refuse("Quant", {one, zero, at::scalar_tensor(NAN)}, {}, {"bitwidth", "nan"});
  refuse("Quant", {one, zero, at::scalar_tensor(2.5f)}, {}, {"bitwidth", "2.5"});
  refuse("Quant", {zero, zero, b8}, {}, {"scale", "holds 0"});
  refuse("Quant", {at::scalar_tensor(-0.5f), zero, b8}, {}, {"scale", "-0.5"});
  refuse("Quant", {at::scalar_tensor(INFINITY), zero, b8}, {}, {"scale", "inf"});
  refuse("Quant", {one, at::scalar_tensor(-1.0f), b8}, {Attr::Int("signed", 0)}, {"zeropt", "-1", "[0, 255]"});
  refuse("Quant", {one, at::scalar_tensor(200.0f), b8}, {}, {"zeropt", "200", "[-128, 127]"});
  refuse("Quant", {one, zero}, {}, {"has 3 inputs", "bitwidth"});
  refuse("Quant", {one, zero, b8}, {Attr::Str("rounding_mode", "STOCHASTIC")}, {"rounding_mode", "STOCHASTIC"});
  refuse("Quant", {one, zero, b8}, {Attr::Int("signed", 2)}, {"signed", "= 2"});
  refuse("Quant", {vec({1, 1, 1}), zero, b8}, {}, {"scale", "[3]", "[1, 4]"});
  refuse("BipolarQuant", {zero}, {}, {"scale", "holds 0"});
  refuse("Trunc", {one, zero, at::scalar_tensor(4.0f), b8}, {}, {"out_bitwidth 8", "in_bitwidth 4"});
  refuse("FloatQuant", {one, at::scalar_tensor(9.0f), at::scalar_tensor(3.0f), at::scalar_tensor(7.0f)}, {},
         {"exponent_bitwidth", "= 9"});
  refuse("FloatQuant", {one, at::scalar_tensor(4.0f), at::scalar_tensor(3.0f), at::scalar_tensor(7.0f)},
         {Attr::Int("saturation", 0)}, {"saturation", "neither"});
  refuse("MultiThreshold", {one}, {}, {"finn.custom_op.general.MultiThreshold", "not supported", "BipolarQuant"},
         "finn.custom_op.general");
  // A QONNX operator name in ONNX's default domain is not QONNX.
  const std::string msg = error_of([&] { one_node("Quant", {1, 4}, {one, zero, b8}, {}, ""); });
  EXPECT_NE(msg.find("Quant"), std::string::npos) << msg;
  EXPECT_FALSE(msg.empty());
}

// ---- The model's own weight memory (issue 24, part 2) ----

namespace {

/// x -> Quant(w; per-channel scales, 4-bit signed narrow) -> Conv, as Brevitas writes a QuantConv2d.
onnx::ModelProto quant_conv(const at::Tensor& w, const std::string& bits = "4", int narrow = 1) {
  onnx_io::ModelBuilder b("qconv", 11);
  b.input("x", {-1, 1, 5, 5});
  b.initializer("w", w);
  b.initializer("ws", vec({0.5f, 0.25f, 0.125f}).reshape({3, 1, 1, 1}));
  b.initializer("z", at::scalar_tensor(0.0f));
  b.initializer("bw", at::scalar_tensor(std::stof(bits)));
  b.node("Quant", "w_quant", {"w", "ws", "z", "bw"}, {Attr::Int("signed", 1), Attr::Int("narrow", narrow)}, "wq",
         "onnx.brevitas");
  b.node("Conv", "conv", {"x", "wq"}, {}, "y");
  b.output("y", {-1, 3, 3, 3});
  return b.finish(false);
}

}  // namespace

// The Quant on the weight is folded: the Conv reads the codes' values, the injector sees them as
// 4-bit words with the node's per-channel scales, storing them changes nothing, and a flip gives
// exactly the logits of the same model with that integer weight changed in the file.
TEST(QonnxStorage, WeightCodesAreTheMemoryAndAFlipEqualsEditingTheFile) {
  at::manual_seed(3);
  const at::Tensor w = at::randn({3, 1, 3, 3}) * 0.6;
  auto g = onnx_io::load_model_proto(quant_conv(w), "qconv.onnx");
  ASSERT_EQ(g->storage.size(), 1u);
  const auto& [v, st] = *g->storage.begin();
  EXPECT_EQ(g->values[v].name, "wq");
  EXPECT_EQ(st.describe(), "int4-narrow");
  EXPECT_EQ(st.source, "w");
  EXPECT_EQ(st.quantiser, "w_quant");
  EXPECT_EQ(fault::resolve_format("", *g), "model:int4-narrow");
  for (const auto& n : g->nodes) EXPECT_NE(n.op_type, "Quant") << "the weight quantiser is folded";

  exec::Executor ex(g);
  const at::Tensor x = at::randn({4, 1, 5, 5});
  const at::Tensor golden = ex.forward(x);
  fault::WeightInjector inj(ex, repr::find_format("model:int4-narrow"));
  ASSERT_EQ(inj.params(), std::vector<std::string>{"wq"});
  EXPECT_TRUE(at::equal(ex.forward(x), golden)) << "storing the model's own codes changes nothing";
  // Codes: round(w / s_c) clamped to [-7, 7], as 4-bit two's complement words.
  const float scales[] = {0.5f, 0.25f, 0.125f};
  const at::Tensor wf = w.contiguous();
  for (int64_t i = 0; i < 27; ++i) {
    const float q = std::clamp(std::nearbyint(wf.data_ptr<float>()[i] / scales[i / 9]), -7.0f, 7.0f);
    EXPECT_EQ(inj.word("wq", i), static_cast<uint32_t>(static_cast<int32_t>(q)) & 0xFu) << i;
  }
  // Flip bit 1 of element 13 (channel 1) where the result stays in [-7, 7]; the file edit: the
  // initializer holds the new code times the scale, which the Quant maps to that code.
  int64_t e = -1;
  int32_t flipped = 0;
  for (int64_t i = 9; i < 18 && e < 0; ++i) {
    const auto word = inj.word("wq", i) ^ 0x2u;
    const int32_t c = (word & 0x8u) ? static_cast<int32_t>(word) - 16 : static_cast<int32_t>(word);
    if (c >= -7 && c <= 7) e = i, flipped = c;
  }
  ASSERT_GE(e, 0);
  fault::WeightFault f;
  f.param = "wq";
  f.flat_index = e;
  f.bit = 1;
  inj.inject({f});
  const at::Tensor faulty = ex.forward(x);
  inj.restore();
  EXPECT_TRUE(at::equal(ex.forward(x), golden));
  at::Tensor edited = w.clone();
  edited.view({-1})[e] = static_cast<float>(flipped) * scales[e / 9];
  exec::Executor ex2(onnx_io::load_model_proto(quant_conv(edited), "edited.onnx"));
  EXPECT_TRUE(at::equal(faulty, ex2.forward(x))) << "flip to code " << flipped;
  EXPECT_FALSE(at::equal(faulty, golden));
}

// A fault can leave a code the quantiser never writes: -8 in a narrow 4-bit format. The memory holds
// it and the layer computes with -8 * scale (nothing clamps it), as an accelerator would.
TEST(QonnxStorage, AnOutOfRangeCodeIsComputedWithAsStored) {
  const at::Tensor w = at::zeros({3, 1, 3, 3});  // codes 0
  auto g = onnx_io::load_model_proto(quant_conv(w), "qconv.onnx");
  exec::Executor ex(g);
  fault::WeightInjector inj(ex, repr::find_format(fault::resolve_format("", *g)));
  fault::WeightFault f;
  f.param = "wq";
  f.flat_index = 4;  // channel 0 (scale 0.5), centre tap
  f.bit = 3;         // 0000 -> 1000 = -8
  inj.inject({f});
  EXPECT_EQ(ex.weight("wq").view({-1})[4].item<float>(), -4.0f);
  const at::Tensor y = ex.forward(at::ones({1, 1, 5, 5}));
  EXPECT_EQ(y[0][0][1][1].item<float>(), -4.0f);
}

// BipolarQuant weights (FINN's binarised layers) behind a Transpose, as Brevitas exports a
// QuantLinear: one bit per weight, a flip negates that weight, the scale stays the node's.
TEST(QonnxStorage, BipolarWeightsBehindATransposeAreOneBitWords) {
  onnx_io::ModelBuilder b("qfc", 11);
  b.input("x", {-1, 4});
  at::manual_seed(5);
  b.initializer("w", at::randn({3, 4}));
  b.initializer("s", vec({0.5f, 1.0f, 2.0f}).reshape({3, 1}));
  b.node("BipolarQuant", "w_quant", {"w", "s"}, {}, "wq", "qonnx.custom_op.general");
  b.node("Transpose", "w_t", {"wq"}, {Attr::Ints("perm", {1, 0})}, "wt");
  b.node("MatMul", "fc", {"x", "wt"}, {}, "y");
  b.output("y", {-1, 3});
  auto g = onnx_io::load_model_proto(b.finish(false), "qfc.onnx");
  ASSERT_EQ(g->storage.size(), 1u);
  EXPECT_EQ(g->values[g->storage.begin()->first].name, "wt");
  exec::Executor ex(g);
  fault::WeightInjector inj(ex, repr::find_format(fault::resolve_format("", *g)));
  EXPECT_EQ(inj.format().name(), "model:bipolar");
  EXPECT_EQ(inj.format().width(), 1);
  const at::Tensor before = ex.weight("wt").clone();
  // wt is [4, 3]: element (2, 1) is output 1's weight, scale 1.0.
  fault::WeightFault f;
  f.param = "wt";
  f.flat_index = 2 * 3 + 1;
  f.bit = 0;
  inj.inject({f});
  EXPECT_EQ(ex.weight("wt")[2][1].item<float>(), -before[2][1].item<float>());
  EXPECT_EQ(std::abs(before[2][1].item<float>()), 1.0f);
  EXPECT_EQ(std::abs(before[0][2].item<float>()), 2.0f);
}

// cnnfi info on a binarised QONNX model counts one bit per weight, from the model alone.
TEST(QonnxStorage, InfoCountsOneBitPerBinarisedWeight) {
  test::TempDir dir;
  onnx_io::ModelBuilder b("bnn", 11);
  b.input("x", {-1, 1, 6, 6});
  at::manual_seed(2);
  b.initializer("w", at::randn({8, 1, 3, 3}));
  b.initializer("one", at::scalar_tensor(1.0f));
  b.node("BipolarQuant", "w_quant", {"w", "one"}, {}, "wq", "finn.custom_op.general");
  b.node("Conv", "conv", {"x", "wq"}, {}, "y");
  b.output("y", {-1, 8, 4, 4});
  onnx_io::save_model(b.finish(false), dir.file("bnn.onnx"));
  const auto r = test::run_cnnfi("info " + dir.file("bnn.onnx"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.out.find("weight memory in model:bipolar (1 bits per element)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("weights: 72 bits in 72 words"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bipolar codes (node 'w_quant' quantises initializer 'w')"), std::string::npos) << r.out;
  const auto packed = test::run_cnnfi("info " + dir.file("bnn.onnx") + " --layout dense");
  ASSERT_EQ(packed.exit_code, 0) << packed.output;
  EXPECT_NE(packed.out.find("weights: 72 bits in 3 words"), std::string::npos) << packed.out;
}

// ---- Export (issue 24, part 4) and seed 002 on the imported model (part 5) ----

// The shipped W1A1 and W2A2 CNVs written as QONNX predict as the originals on all 10,000 test
// images (cnnfi convert checks it and fails otherwise); the written files import with their codes
// as weight memory; and seed 002's grid on the QONNX W1A1 (no format key: the model's own
// model:bipolar storage) draws the same faults and measures the same facts, trial by trial, as the
// grid on the original with format binary.
TEST(QonnxExport, ShippedCnvsRoundTripAndTheGridMatchesTheOriginal) {
  test::TempDir dir;
  const std::string models = test::source_dir() + "/models/";
  for (const char* m : {"cnv-w1a1-fmnist", "cnv-w2a2-fmnist"}) {
    const auto r = test::run_cnnfi(fmt::format("convert --model {}{}.onnx --to qonnx -o {} --check-images 10000", models, m,
                                               dir.file(std::string(m) + ".qonnx.onnx")));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.out.find("on 10000 of 10000 images"), std::string::npos) << r.out;
  }
  auto g1 = onnx_io::load_model(dir.file("cnv-w1a1-fmnist.qonnx.onnx"));
  EXPECT_EQ(graph::storage_format(*g1), "model:bipolar");
  auto g2 = onnx_io::load_model(dir.file("cnv-w2a2-fmnist.qonnx.onnx"));
  EXPECT_EQ(graph::storage_format(*g2), "model:int2-narrow");
  EXPECT_EQ(g2->storage.size(), 9u);

  const std::string grid = "kind: grid\ndata: fashion-mnist:test\nlimit: 100\nlayout: dense\nseed: 2\nrepetitions: 2\n"
                           "schedule: [1, 10, 100]\ntargets: [network]\n";
  test::write_bytes(dir.file("qonnx.yaml"), grid + "model: " + dir.file("cnv-w1a1-fmnist.qonnx.onnx") + "\n");
  test::write_bytes(dir.file("orig.yaml"), grid + "model: " + models + "cnv-w1a1-fmnist.onnx\nformat: binary\n");
  for (const char* c : {"qonnx", "orig"}) {
    const auto r = test::run_cnnfi(fmt::format("run {} -o {}", dir.file(std::string(c) + ".yaml"), dir.file(std::string(c) + ".db")));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  const auto facts = [&](const char* c) {
    return test::sql_rows(dir.file(std::string(c) + ".db"),
                          "select r.trial, t.point, r.masked, r.tolerable, r.critical, r.due, hex(r.facts) from results r "
                          "join trials t using (trial) order by r.trial");
  };
  const auto a = facts("qonnx"), b = facts("orig");
  ASSERT_EQ(a.size(), 24u);
  EXPECT_EQ(a, b);
  const auto faults = [&](const char* c) {
    return test::sql_rows(dir.file(std::string(c) + ".db"),
                          "select trial, fault_id, replace(param, '.weight.q', '.weight'), flat_index, bit from faults "
                          "order by trial, fault_id");
  };
  EXPECT_EQ(faults("qonnx"), faults("orig"));
  EXPECT_EQ(test::sql_rows(dir.file("qonnx.db"), "select value from meta where key = 'format'"),
            std::vector<std::string>{"model:bipolar"});
}

// FloatQuant weights are stored as minifloat words (OCP FP8 E4M3 here: bias 7, NaN only): the
// words are the format's bit patterns, a flip of the exponent's top bit multiplies by 2^8, and one
// that makes the all-ones word is a NaN weight (a result, not a crash). E5M2 with infinities: an
// all-ones exponent is an infinite weight.
TEST(QonnxStorage, FloatQuantWeightsAreMinifloatWords) {
  const auto model = [](const std::vector<float>& w, const std::vector<at::Tensor>& params, std::vector<Attr> attrs) {
    onnx_io::ModelBuilder b("fp8", 13);
    b.input("x", {-1, 4});
    std::vector<std::string> ins{b.initializer("w", vec(w).reshape({2, 4}))};
    for (size_t i = 0; i < params.size(); ++i) ins.push_back(b.initializer("p" + std::to_string(i), params[i]));
    b.node("FloatQuant", "w_quant", ins, std::move(attrs), "wq", "qonnx.custom_op.general");
    b.node("Gemm", "fc", {"x", "wq"}, {Attr::Int("transB", 1)}, "y");
    b.output("y", {-1, 2});
    return onnx_io::load_model_proto(b.finish(false), "fp8.onnx");
  };
  const auto s = [](float v) { return at::scalar_tensor(v); };
  auto g = model({1.125f, -0.3125f, 500, 0.00390625f, 0, 17, 1, -2}, {s(1), s(4), s(3), s(7), s(448)},
                 {Attr::Int("has_nan", 1)});
  ASSERT_EQ(g->storage.size(), 1u);
  EXPECT_EQ(g->storage.begin()->second.describe(), "e4m3-b7-nan");
  exec::Executor ex(g);
  fault::WeightInjector inj(ex, repr::find_format(fault::resolve_format("", *g)));
  EXPECT_EQ(inj.format().name(), "model:e4m3-b7-nan");
  EXPECT_EQ(inj.format().width(), 8);
  // 1.125 = 0 0111 001; -0.3125 = 1 0101 010; 500 saturates to 448 = 0 1111 110; 2^-8 is subnormal
  // 0 0000 010; 17 rounds to 16 = 0 1011 000.
  const uint32_t want[] = {0x39, 0xAA, 0x7E, 0x02, 0x00, 0x58, 0x38, 0xC0};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(inj.word("wq", i), want[i]) << i;
  fault::WeightFault f;
  f.param = "wq";
  f.flat_index = 0;
  f.bit = 6;
  inj.inject({f});
  EXPECT_EQ(ex.weight("wq").view({-1})[0].item<float>(), 288.0f);  // 0 1111 001 = 1.125 * 2^8
  inj.restore();
  f.flat_index = 2;
  f.bit = 0;  // 0 1111 110 -> 0 1111 111: E4M3's NaN
  inj.inject({f});
  EXPECT_TRUE(std::isnan(ex.weight("wq").view({-1})[2].item<float>()));
  EXPECT_TRUE(at::isnan(ex.forward(at::ones({1, 4}))).any().item<bool>());
  inj.restore();

  auto g2 = model({1, 2, 3, 4, 5, 6, 7, 8}, {s(1), s(5), s(2), s(15), s(57344)}, {Attr::Int("has_infinity", 1)});
  exec::Executor ex2(g2);
  fault::WeightInjector inj2(ex2, repr::find_format(fault::resolve_format("", *g2)));
  EXPECT_EQ(inj2.format().name(), "model:e5m2-b15-inf");
  EXPECT_EQ(inj2.word("wq", 0), 0x3Cu);  // 1.0 = 0 01111 00
  f.flat_index = 0;
  f.bit = 6;  // -> 0 11111 00: +infinity
  inj2.inject({f});
  EXPECT_TRUE(std::isinf(ex2.weight("wq").view({-1})[0].item<float>()));
}

// cnnfi convert refuses what it cannot do, naming it, and writes nothing then.
TEST(QonnxExport, ConvertRefusesNamingTheOptionAndWritesNothing) {
  test::TempDir dir;
  const std::string models = test::source_dir() + "/models/";
  const std::string out = dir.file("out.onnx");
  test::expect_error("convert --model " + models + "lenet5-fmnist.onnx --to qonnx -o " + out,
                     {"lenet5-fmnist.onnx", "nothing to write as QONNX"});
  test::expect_error("convert --model " + models + "cnv-w1a1-fmnist.onnx --to tflite -o " + out, {"--to 'tflite'"});
  test::expect_error("convert --model " + models + "cnv-w1a1-fmnist.onnx --to qonnx -o /dev/null", {"-o /dev/null"});
  test::expect_error("convert --model " + models + "cnv-w1a1-fmnist.onnx --to qonnx -o " + out + " --check-images -1",
                     {"--check-images -1"});
  // The check fails (28x28 images into a 32x32 model without its padding): no file is left.
  test::expect_error("convert --model " + models + "cnv-w1a1-fmnist.onnx --to qonnx -o " + out +
                         " --pad 0 --check-images 5",
                     {"expects shape"});
  EXPECT_FALSE(std::filesystem::exists(out));
}
