// Fault-injection core end to end: restore, determinism across thread counts, crash and resume,
// agreement with an independent framework-level injector, config errors.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "campaign/config.h"
#include "campaign/evaluator.h"
#include "campaign/runner.h"
#include "data/card.h"
#include "data/spec.h"
#include "fault/generate.h"
#include "fault/injector.h"
#include "onnx/builder.h"
#include "onnx/import.h"
#include "repr/format.h"
#include "store/store.h"
#include "support/support.h"
#include "util/error.h"
#include "util/file.h"

using namespace cnnfi;

namespace {

std::string lenet() { return test::source_dir() + "/models/lenet5-fmnist.onnx"; }

std::string write_campaign(const test::TempDir& d, const std::string& name, const std::string& body) {
  const std::string path = d.file(name);
  std::ofstream(path) << "model: " << lenet() << "\n" << body;
  return path;
}

/// Every trial's per-image facts, in trial order.
std::vector<std::vector<uint8_t>> facts_of(const std::string& db) {
  store::Store st(db, store::OpenMode::read);
  std::vector<std::vector<uint8_t>> out;
  for (const auto& t : st.trials()) {
    EXPECT_TRUE(t.done) << db << " trial " << t.trial;
    out.push_back(t.facts);
  }
  return out;
}

/// LeNet-5 written directly with libtorch functional ops: the "framework-level" reference.
at::Tensor lenet_reference(const std::map<std::string, at::Tensor>& w, const at::Tensor& x) {
  at::Tensor y = at::max_pool2d(at::relu(at::conv2d(x, w.at("conv1.weight"), w.at("conv1.bias"), 1, 2)), 2, 2);
  y = at::max_pool2d(at::relu(at::conv2d(y, w.at("conv2.weight"), w.at("conv2.bias"))), 2, 2);
  y = y.flatten(1);
  y = at::relu(at::linear(y, w.at("fc1.weight"), w.at("fc1.bias")));
  y = at::relu(at::linear(y, w.at("fc2.weight"), w.at("fc2.bias")));
  return at::linear(y, w.at("fc3.weight"), w.at("fc3.bias"));
}

}  // namespace

TEST(Campaign, WeightsAreRestoredBitExactlyAfterEveryTrial) {
  exec::Executor ex(onnx_io::load_model(lenet()));
  fault::WeightInjector inj(ex, repr::find_format("fp32"));
  std::map<std::string, at::Tensor> before;
  for (const auto& p : inj.params()) before[p] = ex.weight(p).clone();
  fault::GenerateSpec spec;
  spec.total = 40;
  fault::Rng rng(5);
  const auto faults = fault::generate(inj, spec, rng);
  data::DataSelection sel;
  sel.limit = 64;
  auto src = data::open_spec("fashion-mnist:test", sel);
  campaign::FaultEvaluator ev(ex, inj, *src, *data::card_preprocess(lenet()));
  ev.run(fault::group_faults(faults));
  for (const auto& p : inj.params())
    EXPECT_EQ(std::memcmp(before[p].data_ptr(), ex.weight(p).data_ptr(), before[p].numel() * 4), 0) << p;
}

TEST(Campaign, ResumedPathWithNoFaultReproducesGoldenLogitsBitExactly) {
  exec::Executor ex(onnx_io::load_model(lenet()));
  fault::WeightInjector inj(ex, repr::find_format("fp32"));
  data::DataSelection sel;
  sel.limit = 32;
  auto src = data::open_spec("fashion-mnist:test", sel);
  data::Loader loader(*src, *data::card_preprocess(lenet()), 32);
  const at::Tensor x = loader.read(0, 32).images;
  std::vector<int> starts;
  for (const auto& p : inj.params()) starts.push_back(inj.first_reader({fault::WeightFault{0, p, 0, 0}}));
  const auto cache = ex.capture(x, starts);
  const at::Tensor golden = ex.forward(x);
  for (int s : starts) EXPECT_TRUE(at::equal(ex.resume(cache, s)[0], golden)) << "from node " << s;
}

TEST(Campaign, ReplayMatchesAFrameworkLevelInjector) {
  // The same bit flips of the same weights, done by hand on a plain libtorch LeNet-5.
  exec::Executor ex(onnx_io::load_model(lenet()));
  std::map<std::string, at::Tensor> w;
  for (const auto& n : ex.weight_names()) w[n] = ex.weight(n).clone();
  fault::WeightInjector inj(ex, repr::find_format("fp32"));
  fault::GenerateSpec spec;
  spec.total = 25;
  spec.bits = "20-31";
  fault::Rng rng(11);
  const auto faults = fault::generate(inj, spec, rng);
  data::DataSelection sel;
  sel.limit = 200;
  auto src = data::open_spec("fashion-mnist:test", sel);
  const auto pre = *data::card_preprocess(lenet());
  campaign::FaultEvaluator ev(ex, inj, *src, pre, {100, true});
  const auto results = ev.run(fault::group_faults(faults));
  data::Loader loader(*src, pre, 200);
  const auto batch = loader.read(0, 200);
  at::NoGradGuard ng;
  const at::Tensor golden_top1 = lenet_reference(w, batch.images).argmax(1);
  int nontrivial = 0;
  for (size_t i = 0; i < faults.size(); ++i) {
    at::Tensor& t = w.at(faults[i].param);
    const at::Tensor saved = t.clone();
    t.view(at::kInt).reshape({-1})[faults[i].flat_index].bitwise_xor_(1 << faults[i].bit);
    const at::Tensor logits = lenet_reference(w, batch.images);
    t.copy_(saved);
    // NaN rows have no class in cnnfi (never equal to the golden class).
    const at::Tensor nan_row = at::isnan(logits).all(1);
    const at::Tensor ref_top1 = at::where(nan_row, at::full({}, -1, at::kLong),
                                          at::where(at::isnan(logits), at::full({}, -INFINITY), logits).argmax(1));
    const int64_t ref_critical = (ref_top1 != golden_top1).sum().item<int64_t>();
    int64_t critical = 0;
    for (uint8_t f : results[i].facts) critical += (f & campaign::kTop1Changed) != 0;
    EXPECT_EQ(critical, ref_critical) << "fault " << faults[i].id << " " << faults[i].param << "[" << faults[i].flat_index
                                      << "] bit " << faults[i].bit;
    nontrivial += ref_critical > 0;
  }
  EXPECT_GT(nontrivial, 0) << "the faults should include some critical ones (bits 20-31)";
}

TEST(Campaign, SameResultsAtOneAndTwoThreads) {
  test::TempDir d;
  const std::string c = write_campaign(d, "c.yaml", "kind: bit-sweep\nlimit: 300\nrepetitions: 1\nfaults_per_bit: 5\nbits: 20-31\n");
  ASSERT_EQ(test::run_cnnfi("run " + c + " -o " + d.file("t1.db") + " --threads 1").exit_code, 0);
  ASSERT_EQ(test::run_cnnfi("run " + c + " -o " + d.file("t2.db") + " --threads 2").exit_code, 0);
  EXPECT_EQ(facts_of(d.file("t1.db")), facts_of(d.file("t2.db")));
}

TEST(Campaign, KilledAndResumedEqualsUninterrupted) {
  test::TempDir d;
  const std::string c = write_campaign(d, "c.yaml", "kind: single\nlimit: 400\ncount: 160\nbits: 16-31\n");
  ASSERT_EQ(test::run_cnnfi("run " + c + " -o " + d.file("full.db") + " --threads 1").exit_code, 0);
  const auto want = facts_of(d.file("full.db"));
  ASSERT_EQ(want.size(), 160u);
  // Kill -9 after a random number of committed trials (seeded), then resume.
  std::mt19937 rng(2024);
  const int64_t kill_after = 16 + static_cast<int64_t>(rng() % 100);
  const std::string db = d.file("killed.db");
  pid_t pid = 0;
  const std::string bin = CNNFI_BINARY;
  std::vector<std::string> args = {bin, "run", c, "-o", db, "--threads", "1"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ASSERT_EQ(posix_spawn(&pid, bin.c_str(), nullptr, nullptr, argv.data(), environ), 0);
  int64_t seen = 0;
  for (int i = 0; i < 6000 && seen < kill_after; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!std::filesystem::exists(db)) continue;
    try {
      seen = static_cast<int64_t>(store::Store(db, store::OpenMode::read).finished_trials().size());
    } catch (const Error&) {
    }
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  const int64_t at_kill = static_cast<int64_t>(store::Store(db, store::OpenMode::read).finished_trials().size());
  EXPECT_LT(at_kill, 160) << "the campaign finished before it could be killed";
  const auto r = test::run_cnnfi("run " + c + " -o " + db + " --resume --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("resumed"), std::string::npos);
  EXPECT_EQ(facts_of(db), want);
}

TEST(Campaign, ResumeRefusesAChangedConfigOrModel) {
  test::TempDir d;
  const std::string c = write_campaign(d, "c.yaml", "kind: single\nlimit: 50\ncount: 4\n");
  ASSERT_EQ(test::run_cnnfi("run " + c + " -o " + d.file("r.db")).exit_code, 0);
  std::ofstream(c, std::ios::app) << "seed: 9\n";
  auto r = test::run_cnnfi("run " + c + " -o " + d.file("r.db") + " --resume");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("config changed"), std::string::npos) << r.output;
  // A different model file with the same config text.
  std::filesystem::copy_file(lenet(), d.file("m.onnx"));
  std::filesystem::copy_file(data::card_path(lenet()), d.file("m.card.json"));
  const std::string c2 = d.file("c2.yaml");
  std::ofstream(c2) << "model: m.onnx\nkind: single\nlimit: 50\ncount: 4\n";
  ASSERT_EQ(test::run_cnnfi("run " + c2 + " -o " + d.file("m.db")).exit_code, 0);
  {
    // Retrain-like change: one weight of the model differs.
    auto m = onnx_io::parse_model(read_file(d.file("m.onnx")), "m.onnx");
    for (auto& init : *m.mutable_graph()->mutable_initializer())
      if (init.name() == "fc3.bias") (*init.mutable_raw_data())[0] ^= 1;
    onnx_io::save_model(m, d.file("m.onnx"));
  }
  r = test::run_cnnfi("run " + c2 + " -o " + d.file("m.db") + " --resume");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("model changed"), std::string::npos) << r.output;
}

TEST(Campaign, ConfigErrorsNameKeyAndAllowedValues) {
  auto err = [](const std::string& yaml) {
    try {
      campaign::parse_campaign(yaml, "c.yaml");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(err("kind: sweep\nmodel: m.onnx\n").find("incremental, bit-sweep, layer-wise, single"), std::string::npos);
  EXPECT_NE(err("kind: single\nmodel: m.onnx\ncount: 3\nrepetitons: 5\n").find("unknown key 'repetitons'"), std::string::npos);
  EXPECT_NE(err("kind: single\nmodel: m.onnx\ncount: 3\nnonfinite: nan\n").find("due, top1"), std::string::npos);
  EXPECT_NE(err("kind: single\nmodel: m.onnx\ncount: x\n").find("key 'count'"), std::string::npos);
  test::TempDir d;
  const std::string c = write_campaign(d, "c.yaml", "kind: layer-wise\nlayers: [conv7.weight]\nlimit: 10\n");
  const auto r = test::run_cnnfi("run " + c + " -o " + d.file("x.db"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("conv7.weight"), std::string::npos);
  EXPECT_NE(r.output.find("fc1.weight"), std::string::npos) << r.output;
}

TEST(Campaign, DataPathsResolveRelativeToTheCampaignFileLikeTheModel) {
  test::TempDir d;
  std::filesystem::create_directories(d.file("sub/data"));
  std::ofstream(d.file("sub/data/x.npy")) << "x";
  std::ofstream(d.file("sub/data/y.npy")) << "y";
  const std::string file = d.file("sub/c.yaml");
  auto data = [&](const std::string& spec) {
    return campaign::parse_campaign("kind: single\nmodel: m.onnx\ncount: 1\ndata: " + spec + "\n", file).data;
  };
  EXPECT_EQ(data("npy:data/x.npy,data/y.npy"), "npy:" + d.file("sub/data/x.npy") + "," + d.file("sub/data/y.npy"));
  EXPECT_EQ(data("cifar10:" + d.file("elsewhere.bin")), "cifar10:" + d.file("elsewhere.bin"));  // absolute: kept
  EXPECT_EQ(data("fashion-mnist:test"), "fashion-mnist:test");
}

TEST(Campaign, ActivationFaultHitsOnlyItsImage) {
  exec::Executor ex(onnx_io::load_model(lenet()));
  fault::WeightInjector inj(ex, repr::find_format("fp32"));
  data::DataSelection sel;
  sel.limit = 40;
  auto src = data::open_spec("fashion-mnist:test", sel);
  const auto pre = *data::card_preprocess(lenet());
  campaign::FaultEvaluator ev(ex, inj, *src, pre, {16, true});
  // relu3_out is fc1's activation (120 per image); 5 of image 21 gets its exponent MSB flipped.
  fault::WeightFault one{0, "relu3_out", 5, 30};
  one.image = 21;
  fault::WeightFault every{1, "relu3_out", 5, 30};
  const auto r = ev.run({{one}, {every}});
  ASSERT_EQ(r[0].facts.size(), 40u);
  for (size_t i = 0; i < 40; ++i) {
    // Image 21 alone changes, unless fc1's unit 5 is masked downstream for it (not the case here).
    EXPECT_EQ((r[0].facts[i] & campaign::kLogitsDiffer) != 0, i == 21) << "image " << i;
  }
  int differ = 0;
  for (uint8_t f : r[1].facts) differ += (f & campaign::kLogitsDiffer) != 0;
  EXPECT_GT(differ, 20);
  // The resumed path and a full forward agree.
  campaign::FaultEvaluator brute(ex, inj, *src, pre, {16, false});
  EXPECT_EQ(brute.run({{one}, {every}})[1].facts, r[1].facts);
  EXPECT_THROW(ev.run({{fault::WeightFault{2, "no_such_tensor", 0, 1}}}), Error);
}
