// Integer execution (seed 003): hand-worked quantisation and bit flips, the exact accumulator
// against a naive integer reference on every layer of the shipped ResNet-20, the vulnerable-bit
// count of a small layer by hand, uniform fault sampling, accuracy against FP32.
#include <fstream>
#include <map>
#include <optional>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>

#include "campaign/summary.h"
#include "campaign/tolerance.h"
#include "data/card.h"
#include "data/loader.h"
#include "data/spec.h"
#include "eval/evaluate.h"
#include "onnx/builder.h"
#include "onnx/import.h"
#include "quant/arith.h"
#include "eval/metrics.h"
#include "quant/model.h"
#include "quant/qdq.h"
#include "store/store.h"
#include "support/support.h"

using namespace cnnfi;

namespace {

std::string model_path(const std::string& name) { return test::source_dir() + "/models/" + name; }

std::unique_ptr<data::Source> images(const std::string& spec, int64_t n, const data::Preprocess& pre) {
  data::DataSelection sel;
  sel.limit = n;
  return data::open_spec(spec, sel, pre.resize_h, pre.resize_w);
}

/// Linear(4 -> 3) with bias, on one input of 4 features (given as a 1x1x4 image, flattened).
onnx::ModelProto linear_4_3() {
  onnx_io::ModelBuilder b("linear");
  b.input("x", {-1, 1, 1, 4});
  const auto f = b.node("Flatten", "flatten", {"x"});
  const auto w = b.initializer("w", at::arange(12, at::kFloat).reshape({3, 4}) / 10.0 - 0.5);
  const auto bias = b.initializer("b", at::tensor({0.1f, -0.2f, 0.3f}));
  b.node("Gemm", "fc", {f, w, bias}, {onnx_io::Attr::Int("transB", 1)}, "y");
  b.output("y", {-1, 3});
  return b.finish();
}

/// A source of `n` random 1x1x4 "images" (the Linear model flattens nothing: inputs are (N, 4)).
class Vectors : public data::Source {
 public:
  explicit Vectors(int64_t n) : n_(n) {}
  int64_t size() const override { return n_; }
  data::ImageShape shape() const override { return {1, 1, 4}; }
  void read(int64_t start, int64_t count, float* px, int64_t* labels) override {
    for (int64_t i = 0; i < count * 4; ++i) px[i] = static_cast<float>(((start * 4 + i) * 37) % 100) / 100.0f;
    for (int64_t i = 0; i < count; ++i) labels[i] = 0;
  }
  std::vector<int64_t> labels() override { return std::vector<int64_t>(static_cast<size_t>(n_), 0); }
  std::string describe() const override { return "vectors"; }

 private:
  int64_t n_;
};

int64_t attr(const onnx::NodeProto& n, const std::string& name, int64_t dflt, size_t i = 0) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return a.ints_size() ? a.ints(static_cast<int>(i)) : a.i();
  return dflt;
}

}  // namespace

TEST(Quant, HandWorkedQuantisationAndFlips) {
  // s = 0.05, x = 0.37 -> 7 -> 0.35
  EXPECT_EQ(quant::quantize(0.37, 0.05, 8), 7.0);
  EXPECT_DOUBLE_EQ(0.05 * 7, 0.35);
  // bit 7 flipped -> -121 -> -6.05; bit 3 flipped -> 15 -> 0.75
  EXPECT_EQ(quant::flip(7, 8, 7), -121.0);
  EXPECT_DOUBLE_EQ(0.05 * quant::flip(7, 8, 7), -6.05);
  EXPECT_EQ(quant::flip(7, 8, 3), 15.0);
  EXPECT_DOUBLE_EQ(0.05 * 15, 0.75);
  // 9.0 saturates to 127 -> 6.35
  EXPECT_EQ(quant::quantize(9.0, 0.05, 8), 127.0);
  EXPECT_DOUBLE_EQ(0.05 * 127, 6.35);
  // An o32 value 1000 at scale 5e-4 flipped at bit 30 -> 1,073,742,824 -> 536,871.412
  EXPECT_EQ(quant::flip(1000, 32, 30), 1073742824.0);
  EXPECT_NEAR(5e-4 * quant::flip(1000, 32, 30), 536871.412, 1e-9);
  // Two's complement at the edges, and round half to even.
  EXPECT_EQ(quant::flip(-128, 8, 7), 0.0);
  EXPECT_EQ(quant::flip(0, 32, 31), -2147483648.0);
  EXPECT_EQ(quant::quantize(0.625, 0.25, 8), 2.0);   // 2.5 -> 2
  EXPECT_EQ(quant::quantize(0.875, 0.25, 8), 4.0);   // 3.5 -> 4
  EXPECT_EQ(quant::quantize(-9.0, 0.05, 8), -128.0);
  // The tensor path agrees with the scalar path.
  const at::Tensor x = at::tensor({0.37, 9.0, -9.0}, at::kDouble);
  EXPECT_TRUE(at::equal(quant::quantize(x, 0.05, 8), at::tensor({7.0, 127.0, -128.0}, at::kDouble)));
  EXPECT_TRUE(at::equal(quant::quantize(at::tensor({0.625, 0.875}, at::kDouble), 0.25, 8), at::tensor({2.0, 4.0}, at::kDouble)));
}

TEST(Quant, AccumulatorEqualsANaiveIntegerReferenceOnEveryResnet20Layer) {
  const std::string path = model_path("resnet20-fmnist.onnx");
  exec::Executor ex(onnx_io::load_model(path));
  const auto pre = data::PreprocessFlags{}.resolve(data::card_preprocess(path));
  quant::QuantizedModel q(ex);
  auto calib = images("fashion-mnist:train", 64, pre);
  q.calibrate(*calib, pre, 64);
  ASSERT_EQ(q.layers().size(), 20u);
  std::map<std::string, std::pair<at::Tensor, at::Tensor>> seen;
  q.observe([&](const quant::QuantLayer& l, const at::Tensor& i8, const at::Tensor& o32) {
    seen[l.name] = {i8.clone(), o32.clone()};
  });
  auto test = images("fashion-mnist:test", 3, pre);
  data::Loader loader(*test, pre, 3);
  data::Batch b;
  ASSERT_TRUE(loader.next(b));
  ex.forward(b.images);
  ASSERT_EQ(seen.size(), 20u);
  int64_t big = 0;
  for (const auto& l : q.layers()) {
    const auto& node = ex.graph().nodes[static_cast<size_t>(l.node)];
    const auto& [i8, o32] = seen.at(l.name);
    const at::Tensor x = i8.to(at::kLong), w = l.w8.to(at::kLong);
    at::Tensor ref;
    if (node.op_type == "Conv") {
      // Naive integer convolution with the node's own strides, pads, dilations and groups.
      const int64_t N = x.size(0), Ci = x.size(1), H = x.size(2), W = x.size(3);
      const int64_t Co = w.size(0), Cg = w.size(1), KH = w.size(2), KW = w.size(3);
      const int64_t sh = attr(*node.proto, "strides", 1, 0), sw = attr(*node.proto, "strides", 1, 1);
      const int64_t ph = attr(*node.proto, "pads", 0, 0), pw = attr(*node.proto, "pads", 0, 1);
      const int64_t dh = attr(*node.proto, "dilations", 1, 0), dw = attr(*node.proto, "dilations", 1, 1);
      const int64_t groups = attr(*node.proto, "group", 1);
      const int64_t OH = o32.size(2), OW = o32.size(3);
      std::vector<int64_t> out(static_cast<size_t>(N * Co * OH * OW), 0);
      const int64_t* xp = x.contiguous().data_ptr<int64_t>();
      const int64_t* wp = w.contiguous().data_ptr<int64_t>();
      for (int64_t n = 0; n < N; ++n)
        for (int64_t co = 0; co < Co; ++co)
          for (int64_t oh = 0; oh < OH; ++oh)
            for (int64_t ow = 0; ow < OW; ++ow) {
              int64_t acc = 0;
              const int64_t g = co / (Co / groups);
              for (int64_t c = 0; c < Cg; ++c)
                for (int64_t kh = 0; kh < KH; ++kh)
                  for (int64_t kw = 0; kw < KW; ++kw) {
                    const int64_t ih = oh * sh - ph + kh * dh, iw = ow * sw - pw + kw * dw;
                    if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                    acc += xp[((n * Ci + g * Cg + c) * H + ih) * W + iw] * wp[((co * Cg + c) * KH + kh) * KW + kw];
                  }
              out[static_cast<size_t>(((n * Co + co) * OH + oh) * OW + ow)] = acc;
            }
      ref = at::tensor(out, at::kLong).reshape({N, Co, OH, OW});
    } else {
      ASSERT_EQ(node.op_type, "Gemm");
      ref = at::mm(x, attr(*node.proto, "transB", 0) ? w.t() : w);  // int64 matmul: exact
    }
    if (l.b32.defined()) {
      std::vector<int64_t> shape(static_cast<size_t>(ref.dim()), 1);
      shape[1] = -1;
      ref = ref + l.b32.to(at::kLong).reshape(shape);
    }
    ref = ref.clamp(int64_t{-2147483648LL}, int64_t{2147483647LL});
    EXPECT_TRUE(at::equal(ref, o32.to(at::kLong))) << l.name;
    big = std::max(big, ref.abs().max().item<int64_t>());
  }
  EXPECT_GT(big, int64_t{1} << 16) << "the accumulators are not trivially small";
}

TEST(Quant, VulnerableBitsOfALinearLayerByHand) {
  exec::Executor ex(onnx_io::load_model_proto(linear_4_3(), "linear.onnx"));
  quant::QuantizedModel q(ex);
  Vectors v(8);
  q.calibrate(v, data::Preprocess{}, 8);
  ASSERT_EQ(q.layers().size(), 1u);
  const auto& l = q.layers()[0];
  EXPECT_EQ(l.bits(quant::Module::i8), 32);
  EXPECT_EQ(l.bits(quant::Module::w8), 96);
  EXPECT_EQ(l.bits(quant::Module::b32), 96);
  EXPECT_EQ(l.bits(quant::Module::o32), 96);
  EXPECT_EQ(l.bits(quant::Module::o8), 24);
  EXPECT_EQ(q.vulnerable_bits(quant::ModuleSet::all()), 344);
  EXPECT_EQ(q.vulnerable_bits(quant::ModuleSet::parse("b32,o32")), 192);
  // Monte Carlo: one fault per image lands in each module in proportion to its bits.
  const quant::FaultSampler s(q, quant::ModuleSet::all());
  ASSERT_EQ(s.bits(), 344);
  const int64_t draws = 68800;
  std::map<quant::Module, int64_t> hits;
  std::map<std::tuple<int, int, int64_t, int>, int64_t> positions;
  for (int64_t i = 0; i < draws; ++i) {
    const auto f = s.draw(1, 42, i).at(0);
    ++hits[f.module];
    ++positions[{f.layer, static_cast<int>(f.module), f.element, f.bit}];
  }
  EXPECT_EQ(positions.size(), 344u);  // every bit is reachable
  for (quant::Module m : quant::kAllModules) {
    const double p = static_cast<double>(l.bits(m)) / 344.0;
    const double sd = std::sqrt(draws * p * (1 - p));
    EXPECT_NEAR(static_cast<double>(hits[m]), draws * p, 4.5 * sd) << quant::to_string(m);
  }
  // n faults of one image are distinct and repeatable.
  const auto a = s.draw(10, 7, 3), b = s.draw(10, 7, 3);
  std::set<std::tuple<int, int, int64_t, int>> distinct;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].element, b[i].element);
    distinct.insert({a[i].layer, static_cast<int>(a[i].module), a[i].element, a[i].bit});
  }
  EXPECT_EQ(distinct.size(), 10u);
}

TEST(Quant, EachModuleFaultMovesTheOutputAsItsArithmeticSays) {
  exec::Executor ex(onnx_io::load_model_proto(linear_4_3(), "linear.onnx"));
  quant::QuantizedModel q(ex);
  Vectors v(8);
  q.calibrate(v, data::Preprocess{}, 8);
  const auto& l = q.layers()[0];
  at::Tensor x = at::tensor({0.1f, 0.5f, 0.9f, 0.3f}).reshape({1, 1, 1, 4});
  const at::Tensor golden = ex.forward(x).to(at::kDouble);
  // Recompute the golden output by hand from the layer's integers.
  const at::Tensor qi = quant::quantize(x, l.s_in, 8).reshape({4});
  const at::Tensor o32 = at::mv(l.w8, qi) + l.b32;
  const at::Tensor o8 = quant::requantize(o32.reshape({1, 3}), l.multiplier, 1);
  EXPECT_TRUE(at::allclose(golden, o8 * l.s_out, 0, 1e-6)) << golden << o8 * l.s_out;
  auto faulty = [&](quant::Module m, int64_t e, int bit) {
    q.arm({{0, 0, m, e, bit}}, 0, 1);
    const at::Tensor y = ex.forward(x).to(at::kDouble);
    q.disarm();
    return y;
  };
  // o8 element 1, bit 7: the sign of output 1 flips in two's complement.
  const double o8_1 = o8[0][1].item<double>();
  EXPECT_NEAR(faulty(quant::Module::o8, 1, 7)[0][1].item<double>(), quant::flip(o8_1, 8, 7) * l.s_out, 1e-6);
  // b32 element 2, bit 30: the accumulator of output 2 gains 2^30 and saturates o8 at 127.
  EXPECT_NEAR(faulty(quant::Module::b32, 2, 30)[0][2].item<double>(), 127 * l.s_out, 1e-6);
  // i8 element 0, bit 6: output c moves by w8[c][0] * delta(i8) * s_i s_w / s_o, requantised.
  const double delta = quant::flip(qi[0].item<double>(), 8, 6) - qi[0].item<double>();
  const at::Tensor o32_i = o32 + l.w8.select(1, 0) * delta;
  EXPECT_TRUE(at::allclose(faulty(quant::Module::i8, 0, 6), quant::requantize(o32_i.reshape({1, 3}), l.multiplier, 1) * l.s_out, 0, 1e-6));
  // w8 element (row 1, column 2), bit 4.
  const double w = l.w8[1][2].item<double>();
  const at::Tensor o32_w = o32.clone();
  o32_w[1] += (quant::flip(w, 8, 4) - w) * qi[2].item<double>();
  EXPECT_TRUE(at::allclose(faulty(quant::Module::w8, 6, 4), quant::requantize(o32_w.reshape({1, 3}), l.multiplier, 1) * l.s_out, 0, 1e-6));
  // A fault outside its module is an error naming it.
  EXPECT_NE(test::error_of([&] { q.arm({{0, 0, quant::Module::b32, 3, 0}}, 0, 1); }).find("b32 element 3"), std::string::npos);
  EXPECT_NE(test::error_of([&] { q.arm({{0, 0, quant::Module::o8, 0, 8}}, 0, 1); }).find("bit 8"), std::string::npos);
}

TEST(Quant, ShippedModelsKeepTheirAccuracyInIntegerArithmetic) {
  for (const std::string name : {"lenet5-fmnist.onnx", "resnet20-fmnist.onnx"}) {
    const std::string path = model_path(name);
    exec::Executor ex(onnx_io::load_model(path));
    const auto pre = data::PreprocessFlags{}.resolve(data::card_preprocess(path));
    auto test = images("fashion-mnist:test", 1000, pre);
    data::Loader l1(*test, pre, 500);
    const double fp32 = eval::evaluate(ex, l1, "").top1();
    quant::QuantizedModel q(ex);
    auto calib = images("fashion-mnist:train", 500, pre);
    q.calibrate(*calib, pre, 250);
    data::Loader l2(*test, pre, 500);
    const double int8 = eval::evaluate(ex, l2, "").top1();
    EXPECT_NEAR(int8, fp32, 0.01) << name;
    q.uninstall();
    data::Loader l3(*test, pre, 500);
    EXPECT_EQ(eval::evaluate(ex, l3, "").top1(), fp32) << name << ": uninstall restores the float model";
  }
}

TEST(Quant, DirectWeightFaultsEqualRunningTheFaultyKernel) {
  // The direct accumulation of w8 and b32 faults gives the same logits, bit for bit, as running
  // each layer again with the faulty weight (Conv with padding and groups of 1, Gemm).
  for (const std::string name : {"lenet5-fmnist.onnx", "resnet20-fmnist.onnx"}) {
    const std::string path = model_path(name);
    const auto pre = data::PreprocessFlags{}.resolve(data::card_preprocess(path));
    auto calib = images("fashion-mnist:train", 32, pre);
    auto test = images("fashion-mnist:test", 6, pre);
    std::vector<at::Tensor> logits;
    for (bool direct : {true, false}) {
      exec::Executor ex(onnx_io::load_model(path));
      quant::QuantConfig cfg;
      cfg.direct_faults = direct;
      quant::QuantizedModel q(ex, cfg);
      q.calibrate(*calib, pre, 32);
      const quant::FaultSampler s(q, quant::ModuleSet::parse("w8,b32"));
      std::vector<quant::Fault> faults;
      for (int64_t i = 0; i < 6; ++i) {
        auto f = s.draw(40, 9, i);
        faults.insert(faults.end(), f.begin(), f.end());
      }
      data::Loader loader(*test, pre, 6);
      data::Batch b;
      ASSERT_TRUE(loader.next(b));
      q.arm(faults, 0, 6);
      logits.push_back(ex.forward(b.images));
    }
    EXPECT_TRUE(at::equal(logits[0], logits[1])) << name;
  }
}

TEST(Quant, QdqExportPredictsAsAFakeQuantisationComputedIndependently) {
  // LeNet-5 exported as QDQ and run by cnnfi, against LeNet-5 written here with plain libtorch
  // ops on fake-quantised tensors (the layer scales the export used, weights quantised here).
  const std::string path = model_path("lenet5-fmnist.onnx");
  exec::Executor ex(onnx_io::load_model(path));
  const auto pre = data::PreprocessFlags{}.resolve(data::card_preprocess(path));
  quant::QuantizedModel q(ex);
  auto calib = images("fashion-mnist:train", 200, pre);
  q.calibrate(*calib, pre, 200);
  test::TempDir d;
  onnx_io::save_model(quant::export_qdq(q, ex), d.file("qdq.onnx"));
  exec::Executor qdq(onnx_io::load_model(d.file("qdq.onnx")));
  int dq = 0;
  for (const auto& n : qdq.graph().nodes) dq += n.op_type == "DequantizeLinear";
  EXPECT_EQ(dq, 20);  // input, weight, bias and output of 5 layers
  exec::Executor fp(onnx_io::load_model(path));
  std::map<std::string, const quant::QuantLayer*> L;
  for (const auto& l : q.layers()) L[l.weight] = &l;
  auto fq = [](const at::Tensor& x, double s) { return at::clamp(at::round(x.to(at::kDouble) / s), -128, 127) * s; };
  auto layer = [&](const at::Tensor& x, const std::string& w, const std::string& b, bool conv, int64_t pad) {
    const auto& l = *L.at(w);
    const at::Tensor W = fp.weight(w).to(at::kDouble), B = fp.weight(b).to(at::kDouble);
    const at::Tensor m = W.abs().reshape({W.size(0), -1}).amax(1) / 127.0;  // per-channel scales, here
    std::vector<int64_t> shape(static_cast<size_t>(W.dim()), 1);
    shape[0] = -1;
    const at::Tensor Wq = at::clamp(at::round(W / m.reshape(shape)), -128, 127) * m.reshape(shape);
    const at::Tensor Bq = at::round(B / (l.s_in * m)) * (l.s_in * m);
    const at::Tensor xq = fq(x, l.s_in);
    const at::Tensor y = conv ? at::conv2d(xq, Wq, Bq, 1, pad) : at::addmm(Bq, xq, Wq.t());
    return fq(y, l.s_out);
  };
  auto test = images("fashion-mnist:test", 200, pre);
  data::Loader loader(*test, pre, 200);
  data::Batch b;
  ASSERT_TRUE(loader.next(b));
  at::Tensor y = layer(b.images, "conv1.weight", "conv1.bias", true, 2);
  y = at::max_pool2d(at::relu(y), 2, 2);
  y = at::max_pool2d(at::relu(layer(y, "conv2.weight", "conv2.bias", true, 0)), 2, 2).flatten(1);
  y = at::relu(layer(y, "fc1.weight", "fc1.bias", false, 0));
  y = at::relu(layer(y, "fc2.weight", "fc2.bias", false, 0));
  const at::Tensor ref = layer(y, "fc3.weight", "fc3.bias", false, 0);
  const at::Tensor got = qdq.forward(b.images).to(at::kDouble);
  EXPECT_TRUE(at::equal(eval::top1(got), eval::top1(ref)));
  // float32 (QDQ) and double (here) may round a value at a tie apart by one step of a layer's
  // output grid; that is the only difference allowed.
  const at::Tensor diff = (got - ref).abs();
  EXPECT_LE(diff.max().item<double>(), 1.01 * L.at("fc3.weight")->s_out);
  EXPECT_LT((diff > 1e-4).sum().item<int64_t>(), diff.numel() / 100);
  // And the integer model agrees with both on these images.
  EXPECT_TRUE(at::equal(eval::top1(ex.forward(b.images)), eval::top1(ref)));
}

TEST(Quant, CampaignIsTheSameAtAnyThreadCountAndToleranceInterpolates) {
  test::TempDir d;
  const std::string yaml = d.file("q.yaml");
  std::ofstream(yaml) << "kind: quantized\nmodel: " << model_path("lenet5-fmnist.onnx")
                      << "\nlimit: 60\nbatch: 25\ncalibration_images: 50\nrepetitions: 2\nschedule: [0, 5, 50, 500]\n"
                      << "modules: [all, b32]\n";
  for (const char* t : {"1", "2"}) {
    const auto r = test::run_cnnfi(std::string("run ") + yaml + " -o " + d.file(std::string("t") + t + ".db") + " --threads " + t);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  store::Store a(d.file("t1.db"), store::OpenMode::read), b(d.file("t2.db"), store::OpenMode::read);
  const auto ta = a.trials(), tb = b.trials();
  ASSERT_EQ(ta.size(), 16u);
  for (size_t i = 0; i < ta.size(); ++i) EXPECT_EQ(ta[i].facts, tb[i].facts) << "trial " << i;
  // The vulnerable bits in the store are those `cnnfi info --quantized` counts for LeNet-5.
  const auto meta = a.meta();
  const auto q = nlohmann::json::parse(meta.extra.at("quantized"));
  EXPECT_EQ(q.at("sets")[0].at("bits").get<int64_t>(), 780544);
  EXPECT_EQ(q.at("sets")[1].at("bits").get<int64_t>(), 7552);
  // Tolerance: the N where the mean top-1 crosses fault-free - 0.01, by hand from the points.
  std::map<std::string, std::map<int64_t, double>> mean;
  for (const auto& p : campaign::summarize_points(ta)) {
    const auto sp = p.point.find(' ');
    mean[p.point.substr(8, sp - 8)][std::stoll(p.point.substr(p.point.find("faults=") + 7))] = p.top1.mean;
  }
  for (const auto& t : campaign::tolerance(a)) {
    const auto& m = mean.at(t.modules);
    const double limit = m.at(0) - 0.01;
    std::optional<double> expect;
    double pn = 0, pa = m.at(0);
    for (const auto& [n, acc] : m) {
      if (n > 0 && acc <= limit) {
        expect = pn + (n - pn) * (pa - limit) / (pa - acc);
        break;
      }
      pn = static_cast<double>(n);
      pa = acc;
    }
    ASSERT_EQ(t.faults.has_value(), expect.has_value()) << t.modules;
    if (expect) EXPECT_NEAR(*t.faults, *expect, 1e-9) << t.modules;
    EXPECT_EQ(t.bits, t.modules == "all" ? 780544 : 7552);
  }
}
