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

namespace {

fault::WeightFault by_word(const std::string& param, int64_t memory, int64_t word, int lane) {
  fault::WeightFault f;
  f.param = param;
  f.flat_index = f.bit = -1;
  f.memory = memory;
  f.word = word;
  f.lane = lane;
  return f;
}

/// The error resolving `faults` gives (empty if none).
std::string refusal(std::vector<fault::WeightFault> faults, const fault::WeightInjector& inj) {
  return test::error_of([&] { fault::resolve_word_addresses(faults, inj, "list.csv"); });
}

}  // namespace

TEST(Layout, FaultsAddressedByMemoryWordResolveToTheElementBitsTheLayoutKeepsThere) {
  exec::Executor ex(onnx_io::load_model(test::source_dir() + "/models/lenet5-fmnist.onnx"));
  {
    fault::WeightInjector inj(ex, repr::find_format("int2"));
    inj.set_layout(fault::Layout::parse("dense:32"));
    const std::string p = inj.params().front();
    // 16 two-bit codes per word: word 3 lane 0 is element 48 bit 0, lane 3 element 49 bit 1,
    // lane 31 element 63 bit 1.
    std::vector<fault::WeightFault> fs = {by_word(p, 0, 3, 0), by_word(p, 0, 3, 3), by_word(p, 0, 3, 31)};
    fault::resolve_word_addresses(fs, inj, "list.csv");
    EXPECT_EQ(fs[0].flat_index, 48);
    EXPECT_EQ(fs[0].bit, 0);
    EXPECT_EQ(fs[1].flat_index, 49);
    EXPECT_EQ(fs[1].bit, 1);
    EXPECT_EQ(fs[2].flat_index, 63);
    EXPECT_EQ(fs[2].bit, 1);
    for (const auto& f : fs) EXPECT_FALSE(f.by_word());
    // Outside the tensor's words, or a memory a dense layout does not have: refused, named.
    for (const auto& bad : {by_word(p, 0, inj.packing(p).words(), 0), by_word(p, 1, 0, 0)}) {
      const auto err = refusal({bad}, inj);
      EXPECT_NE(err.find("list.csv"), std::string::npos) << err;
      EXPECT_NE(err.find("holds no weight bit"), std::string::npos) << err;
    }
  }
  {
    // 31-bit words hold 15 two-bit codes: lane 30 is padding.
    exec::Executor ex2(onnx_io::load_model(test::source_dir() + "/models/lenet5-fmnist.onnx"));
    fault::WeightInjector inj(ex2, repr::find_format("int2"));
    inj.set_layout(fault::Layout::parse("dense:31"));
    const auto err = refusal({by_word(inj.params().front(), 0, 0, 30)}, inj);
    EXPECT_NE(err.find("padding lane"), std::string::npos) << err;
    EXPECT_NE(err.find("lane 30"), std::string::npos) << err;
  }
  {
    // FINN folding PE 2, SIMD 4 over a fully connected weight [rows, K]: neuron 3's inputs start
    // at word (3 / 2) * ceil(K / 4) of memory 1; its input 9 is lane 1 of the third of its words.
    exec::Executor ex3(onnx_io::load_model(test::source_dir() + "/models/lenet5-fmnist.onnx"));
    fault::WeightInjector inj(ex3, repr::find_format("binary"));
    inj.set_layout(fault::Layout::parse("finn:2,4"));
    std::string fc;
    for (const auto& p : inj.params())
      if (inj.shape(p).size() == 2) fc = p;
    ASSERT_FALSE(fc.empty());
    const int64_t k = inj.shape(fc)[1], per_row = (k + 3) / 4;
    std::vector<fault::WeightFault> fs = {by_word(fc, 1, 1 * per_row + 2, 1)};
    fault::resolve_word_addresses(fs, inj, "list.csv");
    EXPECT_EQ(fs[0].flat_index, 3 * k + 9);
    EXPECT_EQ(fs[0].bit, 0);
    // An activation (a node output) cannot be addressed by weight memory word.
    const auto err = refusal({by_word("not_a_weight", 0, 0, 0)}, inj);
    EXPECT_NE(err.find("not a stored weight"), std::string::npos) << err;
  }
}

TEST(Layout, AWordAddressedFaultListRunsAsItsElementAddressedEquivalent) {
  // The same three faults (a W1A1-style burst at lane 0 of word 2, a burst straddling two
  // binary elements' neighbours, a single flip), once by word and once by element: the campaign
  // stores the same plan and the same facts.
  const std::string model = test::source_dir() + "/models/lenet5-fmnist.onnx";
  test::TempDir d;
  exec::Executor ex(onnx_io::load_model(model));
  fault::WeightInjector inj(ex, repr::find_format("binary"));
  const std::string p = inj.params().front(), q = inj.params()[2];
  std::ofstream(d.file("by_word.csv")) << "fault_id,param,word,lane,memory,model\n"
                                       << "0," << p << ",2,0,,burst8\n"
                                       << "1," << q << ",5,28,0,burst8\n"
                                       << "2," << q << ",7,13,,flip\n";
  std::ofstream(d.file("by_element.csv")) << "fault_id,param,flat_index,bit,model\n"
                                          << "0," << p << ",64,0,burst8\n"
                                          << "1," << q << ",188,0,burst8\n"
                                          << "2," << q << ",237,0,flip\n";
  std::vector<std::vector<store::TrialRow>> results;
  std::vector<std::vector<store::TrialPlan>> plans;
  for (const char* list : {"by_word.csv", "by_element.csv"}) {
    const std::string c = d.file(std::string(list) + ".yaml"), db = d.file(std::string(list) + ".db");
    std::ofstream(c) << "kind: single\nmodel: " << model << "\nfaults: " << d.file(list)
                     << "\nlimit: 200\nformat: binary\nlayout: dense:32\n";
    const auto r = test::run_cnnfi("run " + c + " -o " + db);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    store::Store st(db, store::OpenMode::read);
    plans.push_back(st.plan());
    results.push_back(st.trials());
  }
  ASSERT_EQ(plans[0].size(), 3u);
  ASSERT_EQ(plans[1].size(), 3u);
  int64_t changed = 0;
  for (size_t t = 0; t < 3; ++t) {
    EXPECT_EQ(plans[0][t].faults[0].flat_index, plans[1][t].faults[0].flat_index) << t;
    EXPECT_EQ(plans[0][t].faults[0].bit, plans[1][t].faults[0].bit) << t;
    EXPECT_EQ(results[0][t].facts, results[1][t].facts) << t;
    changed += results[0][t].images - results[0][t].masked;
  }
  EXPECT_GT(changed, 0) << "the faults should change some image's outputs";
  // A list that fills both forms in one row is refused, naming the line.
  std::ofstream(d.file("both.csv")) << "fault_id,param,flat_index,bit,word,lane\n0," << p << ",1,0,1,0\n";
  const auto err = test::error_of([&] { fault::read_fault_csv(d.file("both.csv")); });
  EXPECT_NE(err.find("both.csv:2"), std::string::npos) << err;
}
