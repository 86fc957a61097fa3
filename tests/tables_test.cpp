// Every table of cnnfi walked end to end: each campaign kind parses its keys and runs a tiny
// campaign, each number format round-trips, each fault model does to a word what its name says,
// each operator of the table has a factory and sensible weight/bias inputs.
#include <fstream>

#include <gtest/gtest.h>

#include "campaign/kind.h"
#include "campaign/runner.h"
#include "fault/fault_model.h"
#include "ops/op.h"
#include "repr/format.h"
#include "store/store.h"
#include "support/support.h"

using namespace cnnfi;

namespace {

/// The keys each kind needs for a tiny campaign on LeNet-5's last layer.
std::string tiny(const std::string& kind) {
  if (kind == "incremental") return "repetitions: 2\nschedule: [0, 3]\n";
  if (kind == "bit-sweep") return "repetitions: 1\nfaults_per_bit: 1\nbits: 29-31\n";
  if (kind == "layer-wise") return "repetitions: 1\nrate: 0.01\n";
  if (kind == "single") return "count: 3\n";
  if (kind == "exhaustive") return "bits: 31\nfault_model: sa\nlayers: [fc3.bias]\ncriticality: any\n";
  if (kind == "sfi") return "method: network\nerror: 0.2\nbits: 30-31\nfault_model: sa\n";
  if (kind == "quantized") return "repetitions: 1\nschedule: [0, 2]\nmodules: [all, w8]\ncalibration_images: 16\n";
  if (kind == "over-time") return "repetitions: 1\nschedule: [1, 3]\nscrub: 4\n";
  if (kind == "grid") return "repetitions: 1\nschedule: [1, 2]\nmodes: [seu, mbu]\ntargets: [network]\n";
  return "";
}

}  // namespace

TEST(Tables, EveryCampaignKindParsesItsKeysAndRunsATinyCampaign) {
  test::TempDir d;
  for (const auto& k : campaign::kinds()) {
    const std::string body = tiny(k.name);
    ASSERT_FALSE(body.empty()) << "kind " << k.name << " has no tiny campaign in this test: add one";
    const std::string file = d.file(std::string(k.name) + ".yaml");
    std::ofstream(file) << "kind: " << k.name << "\nmodel: " << test::source_dir() << "/models/lenet5-fmnist.onnx\n"
                        << "limit: 8\n"
                        << (body.find("layers:") == std::string::npos && std::string(k.name) != "grid" ? "layers: [fc3.weight]\n" : "")
                        << body;
    // Every key the table lists for this kind is refused by some other kind.
    for (const auto& key : k.keys) {
      bool elsewhere = false;
      for (const auto& other : campaign::kinds())
        elsewhere = elsewhere || std::find(other.keys.begin(), other.keys.end(), key) == other.keys.end();
      EXPECT_TRUE(elsewhere) << key << " is read by every kind: make it common";
    }
    campaign::RunOptions ro;
    ro.output = d.file(std::string(k.name) + ".db");
    const auto cfg = campaign::load_campaign(file);
    ASSERT_TRUE(cfg.options) << k.name;
    const auto info = campaign::run_campaign(cfg, ro);
    EXPECT_GT(info.trials, 0) << k.name;
    store::Store st(ro.output, store::OpenMode::read);
    EXPECT_EQ(st.meta().kind, k.name);
    EXPECT_TRUE(st.meta().complete()) << k.name;
    EXPECT_EQ(static_cast<int64_t>(st.finished_trials().size()), info.trials) << k.name;
  }
}

TEST(Tables, EveryNumberFormatRoundTripsWhatItStores) {
  const at::Tensor w = at::linspace(-1.7, 1.3, 97).reshape({1, 97});
  for (const auto& name : repr::format_names()) {
    const auto& f = repr::find_format(name);
    const auto p = f.choose(w);
    const at::Tensor stored = f.store(w, p);
    // What the hardware holds is a fixed point of store(); its words decode to it exactly.
    EXPECT_TRUE(at::equal(f.store(stored, p), stored)) << name;
    EXPECT_TRUE(at::equal(f.decode_tensor(f.encode_tensor(stored, p), p), stored)) << name;
    // Within the format's resolution: 0.05 for 8 bits and more; half a step for the k-bit
    // integers; the magnitude itself for binary (sign only).
    const float tol = f.width() >= 8 ? 0.05f : f.width() == 1 ? p.scale.at(0) * 1.0001f : p.scale.at(0) * 0.5001f;
    EXPECT_LE((stored - w).abs().max().item<float>(), tol) << name;
    // The fields cover every bit exactly once.
    std::vector<int> seen(static_cast<size_t>(f.width()), 0);
    for (const auto& field : f.fields(p))
      for (int b = field.lo; b <= field.hi; ++b) ++seen.at(static_cast<size_t>(b));
    for (int b = 0; b < f.width(); ++b) EXPECT_EQ(seen[static_cast<size_t>(b)], 1) << name << " bit " << b;
  }
}

TEST(Tables, EveryFaultModelDoesWhatItsNameSays) {
  const uint32_t word = 0b1010'0110u;
  for (const auto& m : fault::fault_models()) {
    int burst = 0;
    EXPECT_EQ(fault::parse_fault_model(fault::to_string(m.model, 3), &burst), m.model) << m.name;
    for (int bit = 0; bit < 8; ++bit) {
      const uint32_t faulty = fault::apply(word, m.model, bit, 8, 3);
      const uint32_t changed = faulty ^ word;
      EXPECT_EQ(faulty >> 8, 0u) << m.name << ": a fault stays inside the word";
      EXPECT_EQ(fault::provably_masked(word, m.model, bit), changed == 0) << m.name << " bit " << bit;
      switch (m.model) {
        case fault::FaultModel::flip: EXPECT_EQ(changed, 1u << bit); break;
        case fault::FaultModel::burst: EXPECT_EQ(changed, ((1u << std::min(3, 8 - bit)) - 1) << bit); break;
        case fault::FaultModel::stuck_at_0: EXPECT_EQ((faulty >> bit) & 1u, 0u); EXPECT_LE(__builtin_popcount(changed), 1); break;
        case fault::FaultModel::stuck_at_1: EXPECT_EQ((faulty >> bit) & 1u, 1u); EXPECT_LE(__builtin_popcount(changed), 1); break;
      }
    }
  }
}

TEST(Tables, EveryOperatorHasAFactoryAndItsWeightInputsAreInputs) {
  int weighted = 0;
  for (const auto& e : ops::op_table()) {
    EXPECT_NE(e.factory, nullptr) << e.op_type;
    EXPECT_GE(e.weight_input, -1) << e.op_type;
    EXPECT_LT(e.weight_input, 3) << e.op_type;
    if (e.bias_input >= 0) EXPECT_GT(e.bias_input, e.weight_input) << e.op_type;
    weighted += e.weight_input >= 0;
    EXPECT_EQ(ops::find_op_entry(e.op_type), &e);
  }
  EXPECT_EQ(weighted, 4);  // Conv, ConvTranspose, Gemm, MatMul
}
