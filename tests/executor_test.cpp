#include <cstring>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include "exec/executor.h"
#include "onnx/import.h"
#include "train/arch/arch.h"

using namespace cnnfi;

namespace {

struct Fixture {
  std::shared_ptr<graph::Graph> graph;
  at::Tensor input;
  Fixture() {
    train::ArchSpec spec;
    spec.channels = 1;
    spec.height = spec.width = 32;
    spec.seed = 3;
    graph = onnx_io::load_model_proto(train::build_resnet20(spec), "resnet20");
    at::Generator gen = at::detail::createCPUGenerator(11);
    input = at::randn({8, 1, 32, 32}, gen);
  }
};

void flip_bit(at::Tensor w, int64_t flat, int bit) {
  int32_t* p = reinterpret_cast<int32_t*>(w.data_ptr<float>()) + flat;
  *p ^= (1 << bit);
}

class CountingHook : public exec::NodeHook {
 public:
  explicit CountingHook(int target) : target_(target) {}
  bool wants(int node) const override {
    ++asked;
    return node == target_;
  }
  void on_output(int node, std::vector<at::Tensor>& outputs) override {
    ++called;
    if (zero) outputs[0] = at::zeros_like(outputs[0]);
  }
  mutable int asked = 0;
  int called = 0;
  bool zero = false;

 private:
  int target_;
};

}  // namespace

TEST(Executor, WeightEditIsSeenAndSnapshotRestoresBitExactly) {
  Fixture f;
  exec::Executor ex(f.graph);
  const at::Tensor golden = ex.forward(f.input);
  at::Tensor w = ex.weight("layer2.0.conv1.weight");
  const at::Tensor before = w.clone();
  auto snap = ex.snapshot({"layer2.0.conv1.weight"});
  flip_bit(w, 5, 30);  // exponent MSB: the weight becomes huge
  EXPECT_GT(std::abs(w.reshape({-1})[5].item<float>()), 1e30f);
  const at::Tensor faulty = ex.forward(f.input);
  EXPECT_FALSE(at::equal(faulty, golden));
  snap.restore();
  EXPECT_EQ(std::memcmp(w.data_ptr(), before.data_ptr(), before.numel() * 4), 0);
  EXPECT_TRUE(at::equal(ex.forward(f.input), golden));
}

TEST(Executor, UnknownWeightListsTheWeights) {
  Fixture f;
  exec::Executor ex(f.graph);
  try {
    ex.weight("conv9.weight");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("conv9.weight"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("layer1.0.conv1.weight"), std::string::npos);
  }
}

TEST(Executor, HookIsAskedPerNodeAndCalledOnlyWhereWanted) {
  Fixture f;
  exec::Executor ex(f.graph);
  const at::Tensor golden = ex.forward(f.input);
  const int avgpool = f.graph->node_index("avgpool");
  CountingHook observe(avgpool);
  EXPECT_TRUE(at::equal(ex.forward(f.input, &observe), golden));
  EXPECT_EQ(observe.asked, static_cast<int>(f.graph->nodes.size()));
  EXPECT_EQ(observe.called, 1);
}

TEST(Executor, HookCanReplaceANodeOutput) {
  Fixture f;
  exec::Executor ex(f.graph);
  // Zeroing the pooled features leaves only the classifier bias in the logits.
  CountingHook zero(f.graph->node_index("avgpool"));
  zero.zero = true;
  const at::Tensor logits = ex.forward(f.input, &zero);
  const at::Tensor bias = ex.weight("linear.bias");
  EXPECT_TRUE(at::equal(logits, bias.expand({8, bias.size(0)})));
}

TEST(Executor, ResumeFromGoldenCacheEqualsFullForward) {
  Fixture f;
  exec::Executor ex(f.graph);
  const int n3 = f.graph->node_index("layer3.0.conv1");
  const int n1 = f.graph->node_index("layer1.1.conv1");
  const auto cache = ex.capture(f.input, {n1, n3});
  const at::Tensor golden = ex.forward(f.input);
  EXPECT_TRUE(at::equal(cache.outputs[0], golden));
  EXPECT_TRUE(at::equal(ex.resume(cache, n3)[0], golden));
  EXPECT_TRUE(at::equal(ex.resume(cache, n1)[0], golden));
  // A weight fault at or after the resume node: resuming gives what a full run gives.
  at::Tensor w = ex.weight("layer3.0.conv1.weight");
  auto snap = ex.snapshot({"layer3.0.conv1.weight"});
  flip_bit(w, 17, 29);
  const at::Tensor full = ex.forward(f.input);
  EXPECT_FALSE(at::equal(full, golden));
  EXPECT_TRUE(at::equal(ex.resume(cache, n3)[0], full));
  snap.restore();
  EXPECT_THROW(ex.resume(cache, n3 + 1), Error);  // not captured
}

TEST(Executor, LiveInHoldsTheResidualBranch) {
  Fixture f;
  exec::Executor ex(f.graph);
  // Starting inside a block, the block input (read again by the Add) must be cached too.
  const int n = f.graph->node_index("layer1.0.conv2");
  const auto live = ex.live_in(n);
  const int block_input = f.graph->nodes[f.graph->node_index("layer1.0.conv1")].inputs[0];
  EXPECT_NE(std::find(live.begin(), live.end(), block_input), live.end());
}

TEST(Executor, WrongInputShapeNamesTheInput) {
  Fixture f;
  exec::Executor ex(f.graph);
  try {
    ex.forward(at::zeros({2, 3, 32, 32}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("input 'input'"), std::string::npos) << e.what();
  }
}
