// k-bit networks (seed 002): the CNV with binary and 2-bit weights and activations trains through
// straight-through Sign/Round, and exports with the weight quantisers folded into plain Conv/Gemm
// weights that the binary/int2 formats store exactly.
#include <fstream>
#include <set>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "exec/executor.h"
#include "fault/activation.h"
#include "fault/injector.h"
#include "onnx/import.h"
#include "onnx/tensor.h"
#include "repr/format.h"
#include "support/support.h"
#include "train/arch/arch.h"
#include "train/kbit.h"
#include "util/file.h"

using namespace cnnfi;

namespace {

std::map<std::string, at::Tensor> initializers(const onnx::ModelProto& m) {
  std::map<std::string, at::Tensor> out;
  for (const auto& t : m.graph().initializer()) out[t.name()] = onnx_io::to_tensor(t, "test");
  return out;
}

}  // namespace

TEST(KBit, FoldingTurnsLatentWeightsIntoTheirCodes) {
  for (int bits : {1, 2}) {
    train::ArchSpec s;
    s.height = s.width = 32;
    s.weight_bits = s.act_bits = bits;
    s.width_mult = 0.125;
    onnx::ModelProto m = train::find_arch("cnv").build(s);
    const auto latent = initializers(m);
    const int folded = train::fold_weight_quantizers(m);
    EXPECT_EQ(folded, bits == 1 ? 9 : 18) << bits;  // Sign, or Clip + Round, per conv/FC
    const auto codes = initializers(m);
    for (const auto& n : m.graph().node()) {
      EXPECT_FALSE(n.op_type() == "Sign" && codes.count(n.input(0))) << n.name() << ": a weight quantiser is left";
      if (n.op_type() != "Conv" && n.op_type() != "Gemm") continue;
      ASSERT_TRUE(codes.count(n.input(1))) << n.name() << ": the weight is not an initialiser after folding";
      const at::Tensor w = codes.at(n.input(1)), l = latent.at(n.input(1));
      const at::Tensor expect = bits == 1 ? at::sign(l) : at::round(at::clamp(l, -1, 1));
      EXPECT_TRUE(at::equal(w, expect)) << n.name();
      // Exactly the codes the k-bit format stores.
      const auto& f = repr::find_format(bits == 1 ? "binary" : "int2");
      EXPECT_TRUE(at::equal(f.store(w, f.choose(w)), w)) << n.name();
    }
    // The activations stay quantisers (one per BatchNorm before the last FC).
    int acts = 0;
    for (const auto& n : m.graph().node()) acts += n.op_type() == (bits == 1 ? "Sign" : "Round");
    EXPECT_EQ(acts, 8) << bits;
  }
}

TEST(KBit, TrainingMovesTheLatentWeightsThroughSignAndExportsExactly) {
  test::TempDir d;
  for (const char* wa : {"1", "2"}) {
    const std::string out = d.file(std::string("cnv") + wa + ".onnx");
    const auto r = test::run_cnnfi(std::string("train --arch cnv --weight-bits ") + wa + " --act-bits " + wa +
                                   " --width 0.125 --data fashion-mnist:train --pad 2 --limit 768 --epochs 1 --adam --lr 0.02"
                                   " --weight-decay 0 --seed 3 -o " + out);
    // cnnfi train fails when the re-imported file differs from the training-time executor.
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("export check: max |training-time - re-imported| = 0"), std::string::npos) << r.output;
    // The trained codes differ from those of the initial latent weights: the straight-through
    // gradients reached them (Sign's own gradient is 0 everywhere).
    train::ArchSpec s;
    s.height = s.width = 32;
    s.weight_bits = s.act_bits = std::stoi(wa);
    s.width_mult = 0.125;
    s.seed = 3;
    onnx::ModelProto init = train::find_arch("cnv").build(s);
    train::fold_weight_quantizers(init);
    const auto before = initializers(init);
    const auto after = initializers(onnx_io::parse_model(read_file(out), out));
    int64_t changed = 0, total = 0;
    for (const char* w : {"conv1.weight", "conv3.weight", "fc1.weight"}) {
      ASSERT_TRUE(after.count(w)) << w;
      changed += (before.at(w) != after.at(w)).sum().item<int64_t>();
      total += after.at(w).numel();
      const std::set<float> allowed = std::string(wa) == "1" ? std::set<float>{-1, 1} : std::set<float>{-1, 0, 1};
      const at::Tensor v = std::get<0>(at::_unique(after.at(w)));
      for (int64_t i = 0; i < v.numel(); ++i) EXPECT_TRUE(allowed.count(v[i].item<float>())) << w << " holds " << v[i].item<float>();
    }
    EXPECT_GT(changed, total / 100) << wa << ": " << changed << " of " << total << " codes changed";
    // The binary / int2 weight memory of the shipped form: injecting into it works as for any model.
    exec::Executor ex(onnx_io::load_model(out));
    fault::WeightInjector inj(ex, repr::find_format(std::string(wa) == "1" ? "binary" : "int2"));
    EXPECT_EQ(inj.params_of("conv1.weight").scale.at(0), 1.0f);
  }
}

TEST(KBit, ActivationBurstsFlipTheCodesOfOnePackedWord) {
  for (int bits : {1, 2}) {
    train::ArchSpec s;
    s.height = s.width = 32;
    s.weight_bits = s.act_bits = bits;
    s.width_mult = 0.125;
    onnx::ModelProto m = train::find_arch("cnv").build(s);
    train::fold_weight_quantizers(m);
    auto g = onnx_io::load_model_proto(m, "cnv");
    const auto& f = repr::find_format(bits == 1 ? "binary" : "int2");
    fault::ActivationHook hook(*g, f, fault::Layout::parse("dense:32"));
    // conv0's activation codes: (batch 2, 8 channels, 30, 30).
    const std::string act = bits == 1 ? "conv0.act.sign_out" : "conv0.act.round_out";
    fault::WeightFault fault;
    fault.param = act;
    fault.flat_index = bits == 1 ? 64 : 32;  // lane 0 of word 2
    fault.bit = 0;
    fault.model = fault::FaultModel::burst;
    fault.burst = 8;
    fault.image = 1;
    ASSERT_TRUE(hook.arm({fault}, 0, 2));
    // Deterministic codes: binary -1/+1, int2 -1/0/+1, in a pattern that puts every code in the burst.
    const at::Tensor idx = at::arange(2 * 8 * 30 * 30, at::kLong).reshape({2, 8, 30, 30});
    const at::Tensor codes = bits == 1 ? (idx.remainder(2) * 2 - 1).to(at::kFloat) : (idx.remainder(3) - 1).to(at::kFloat);
    std::vector<at::Tensor> outs = {codes.clone()};
    hook.on_output(hook.producer(act), outs);
    const at::Tensor diff = (outs[0] != codes).reshape({2, -1});
    EXPECT_EQ(diff[0].sum().item<int64_t>(), 0) << "image 0 is not hit";
    const int64_t first = bits == 1 ? 64 : 32, n = bits == 1 ? 8 : 4;
    EXPECT_EQ(diff[1].sum().item<int64_t>(), n) << bits;
    EXPECT_EQ(diff[1].narrow(0, first, n).sum().item<int64_t>(), n) << bits;
    const at::Tensor before = codes.reshape({2, -1})[1].narrow(0, first, n), after = outs[0].reshape({2, -1})[1].narrow(0, first, n);
    if (bits == 1) {
      EXPECT_TRUE(at::equal(after, -before));
    } else {  // both bits of each 2-bit code: +1 -> -2, 0 -> -1, -1 -> 0
      at::Tensor expect = at::zeros_like(before);
      expect.masked_fill_(before == 1, -2.0);
      expect.masked_fill_(before == 0, -1.0);
      EXPECT_TRUE(at::equal(after, expect)) << before << after;
    }
  }
}
