// Packed weight memory (seed 002): layouts and multi-bit upsets worked out by hand, the k-bit
// formats' codes, and the CNV's weight bits.
#include <fstream>

#include <gtest/gtest.h>

#include "campaign/config.h"

#include "exec/executor.h"
#include "fault/injector.h"
#include "fault/layout.h"
#include "onnx/import.h"
#include "repr/format.h"
#include "store/store.h"
#include "support/support.h"
#include "train/arch/arch.h"

using namespace cnnfi;

TEST(KBitFormats, CodesAsTheHardwareHoldsThem) {
  const auto& bin = repr::find_format("binary");
  const auto& i2 = repr::find_format("int2");
  const auto& i4 = repr::find_format("int4");
  const at::Tensor w = at::tensor({-1.0f, 0.0f, 1.0f, -1.0f});
  const auto pb = bin.choose(w), p2 = i2.choose(w);
  EXPECT_EQ(pb.scale.at(0), 1.0f);
  // binary: bit 1 = +1, bit 0 = -1; a flip negates.
  EXPECT_EQ(bin.encode(1.0f, pb, 0), 1u);
  EXPECT_EQ(bin.encode(-1.0f, pb, 0), 0u);
  EXPECT_EQ(bin.decode(0u, pb, 0), -1.0f);
  // int2: two's complement 01 = +1, 00 = 0, 11 = -1; 10 = -2 (out of range) decodes as -2.
  EXPECT_EQ(i2.encode(1.0f, p2, 0), 0b01u);
  EXPECT_EQ(i2.encode(0.0f, p2, 0), 0b00u);
  EXPECT_EQ(i2.encode(-1.0f, p2, 0), 0b11u);
  EXPECT_EQ(i2.decode(0b10u, p2, 0), -2.0f);
  EXPECT_EQ(i2.encode(-5.0f, p2, 0), 0b11u);  // clamped to the narrow range
  // int4: narrow -7..7 at max|x| / 7; 1000 = -8.
  const auto p4 = i4.choose(at::tensor({7.0f, -3.5f}));
  EXPECT_EQ(p4.scale.at(0), 1.0f);
  EXPECT_EQ(i4.encode(-3.0f, p4, 0), 0b1101u);
  EXPECT_EQ(i4.decode(0b1000u, p4, 0), -8.0f);
}

TEST(Layout, DenseAndFinnPackingByHand) {
  // Dense, 1-bit elements in 32-bit words: element e at word e / 32, lane e % 32.
  fault::PackedTensor d(fault::Layout::parse("dense:32"), {4, 20}, 1);
  EXPECT_EQ(d.words(), 3);  // 80 bits
  EXPECT_EQ(d.locate(37, 0).word, 1);
  EXPECT_EQ(d.locate(37, 0).lane, 5);
  // 2-bit elements: 16 per word, element e's bit b at lane (e % 16) * 2 + b.
  fault::PackedTensor d2(fault::Layout::parse("dense"), {4, 20}, 2);
  EXPECT_EQ(d2.words(), 5);
  EXPECT_EQ(d2.locate(17, 1).word, 1);
  EXPECT_EQ(d2.locate(17, 1).lane, 3);
  // 3-bit elements do not straddle: 10 per word, lanes 30-31 padding.
  fault::PackedTensor d3(fault::Layout::parse("dense:32"), {25}, 3);
  EXPECT_EQ(d3.words(), 3);
  EXPECT_FALSE(d3.at({0, 0, 30}).has_value());
  // FINN, PE 2, SIMD 4, 1-bit: neuron o in memory o % 2; a row of 10 inputs takes 3 words.
  fault::PackedTensor f(fault::Layout::parse("finn:2,4"), {4, 10}, 1);
  EXPECT_EQ(f.memories(), 2);
  EXPECT_EQ(f.words(), 12);
  EXPECT_EQ(f.word_bits(), 4);
  const auto m = f.locate(3 * 10 + 9, 0);  // neuron 3, input 9
  EXPECT_EQ(m.memory, 1);
  EXPECT_EQ(m.word, 5);  // (3 / 2) * 3 + 9 / 4
  EXPECT_EQ(m.lane, 1);
  EXPECT_FALSE(f.at({1, 5, 2}).has_value());  // inputs 10, 11 do not exist: padding
  // Every element bit round-trips, in every layout.
  for (const auto* t : {&d, &d2, &d3, &f})
    for (int64_t e = 0; e < t->numel(); ++e) {
      const auto at = t->at(t->locate(e, 0));
      ASSERT_TRUE(at.has_value());
      EXPECT_EQ(at->element, e);
    }
  // A burst is clipped at the word's top: 8 lanes in a 4-lane FINN word cover its 4 weights.
  EXPECT_EQ(f.burst({0, 0, 0}, 8).size(), 4u);
  for (const char* bad : {"dense:0", "finn:2", "finn:0,4", "packed", "dense:x"})
    EXPECT_NE(test::error_of([&] { fault::Layout::parse(bad); }).find("layout"), std::string::npos) << bad;
}

TEST(Layout, AnEightBitBurstNegatesEightBinaryWeightsOrChangesFourTernaryOnes) {
  for (const char* name : {"binary", "int2"}) {
    // A fresh executor per format: an injector stores the weights in its format in place.
    exec::Executor ex(onnx_io::load_model(test::source_dir() + "/models/lenet5-fmnist.onnx"));
    fault::WeightInjector inj(ex, repr::find_format(name));
    inj.set_layout(fault::Layout::parse("dense:32"));
    const std::string p = inj.params().front();
    std::vector<float> before(static_cast<size_t>(inj.numel(p)));
    for (int64_t e = 0; e < inj.numel(p); ++e) before[static_cast<size_t>(e)] = repr::find_format(name).decode(inj.word(p, e), inj.params_of(p), e);
    // A burst at lane 0 of a word, 8 lanes upward: binary, word 1 (elements 32-39); int2, the
    // first word whose first 4 codes include -1, the code a bit-by-bit flip would get wrong.
    const int per = std::string(name) == "binary" ? 32 : 16;
    int64_t word = 1;
    if (per == 16)
      for (word = 0; (word + 1) * 16 <= inj.numel(p); ++word) {
        bool minus = false;
        for (int64_t e = word * 16; e < word * 16 + 4; ++e) minus = minus || before[static_cast<size_t>(e)] < 0;
        if (minus) break;
      }
    ASSERT_LT(word * per, inj.numel(p));
    fault::WeightFault f;
    f.param = p;
    f.flat_index = word * per;
    f.bit = 0;
    f.model = fault::FaultModel::burst;
    f.burst = 8;
    ASSERT_TRUE(inj.inject({f}));
    const auto& fmt = repr::find_format(name);
    int changed = 0;
    for (int64_t e = 0; e < inj.numel(p); ++e) {
      const float now = fmt.decode(inj.word(p, e), inj.params_of(p), e);
      const float was = before[static_cast<size_t>(e)];
      const bool in_burst = e >= f.flat_index && e < f.flat_index + (per == 32 ? 8 : 4);
      if (!in_burst) {
        EXPECT_EQ(now, was) << name << " element " << e;
        continue;
      }
      ++changed;
      if (std::string(name) == "binary") {
        EXPECT_EQ(now, -was) << "element " << e;  // negated
      } else {
        // Both bits of the 2-bit code flipped: +1 -> -2, 0 -> -1, -1 -> 0 (times the scale).
        const float s = inj.params_of(p).scale.at(0);
        const float code = std::nearbyint(was / s), expect = code == 1 ? -2 : code == 0 ? -1 : 0;
        EXPECT_EQ(now, expect * s) << "element " << e << " code " << code;
      }
    }
    EXPECT_EQ(changed, std::string(name) == "binary" ? 8 : 4) << name;
    EXPECT_EQ(inj.changes().size(), per == 32 ? 8u : 4u) << name;  // one write per element
    inj.restore();
  }
}

TEST(Layout, CnvWeightBitsAsTheSeedCountsThem) {
  // CNV with 3 input channels (CIFAR-10, as in seed 002): 1,542,848 weight bits in W1A1.
  train::ArchSpec spec;
  spec.channels = 3;
  spec.height = spec.width = 32;
  exec::Executor ex(onnx_io::load_model_proto(train::find_arch("cnv").build(spec), "cnv"));
  for (const char* fmt : {"binary", "int2"}) {
    fault::WeightInjector inj(ex, repr::find_format(fmt));
    inj.set_layout(fault::Layout::parse("dense:32"));
    const std::vector<std::pair<std::string, int64_t>> expect = {
        {"conv0.weight", 3 * 64 * 9},    {"conv1.weight", 64 * 64 * 9},   {"conv2.weight", 64 * 128 * 9},
        {"conv3.weight", 128 * 128 * 9}, {"conv4.weight", 128 * 256 * 9}, {"conv5.weight", 256 * 256 * 9},
        {"fc0.weight", 256 * 512},       {"fc1.weight", 512 * 512},       {"fc2.weight", 512 * 10}};
    int64_t bits = 0;
    const int k = repr::find_format(fmt).width();
    for (const auto& [name, n] : expect) {
      const auto pt = inj.packing(name);
      EXPECT_EQ(pt.numel(), n) << name;
      EXPECT_EQ(pt.data_bits(), n * k) << name;
      EXPECT_EQ(pt.words(), (n * k + 31) / 32) << name;
      bits += pt.data_bits();
    }
    EXPECT_EQ(bits, std::string(fmt) == "binary" ? 1542848 : 2 * 1542848) << fmt;
  }
}

TEST(Layout, CampaignKeyIsCheckedAndRecorded) {
  const std::string model = test::source_dir() + "/models/lenet5-fmnist.onnx";
  const auto err = test::error_of([&] {
    campaign::parse_campaign("kind: single\nmodel: " + model + "\ncount: 2\nlayout: finn:0,4\n", "c.yaml");
  });
  EXPECT_NE(err.find("key 'layout'"), std::string::npos) << err;
  EXPECT_NE(err.find("PE"), std::string::npos) << err;
  test::TempDir d;
  std::ofstream(d.file("c.yaml")) << "kind: single\nmodel: " << model
                                  << "\ncount: 4\nlimit: 20\nformat: binary\nlayout: dense\nfault_model: burst8\n";
  const auto r = test::run_cnnfi("run " + d.file("c.yaml") + " -o " + d.file("c.db"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  store::Store st(d.file("c.db"), store::OpenMode::read);
  EXPECT_EQ(st.meta().extra.at("layout"), "dense:32");
}
