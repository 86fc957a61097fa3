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

namespace {

// Single weight flips in the Convs `params` of a ResNet-20 (each kind of channel chain:
// Conv-BN-ReLU, Conv-BN-Add-ReLU, Conv-BN before a shortcut): low and high mantissa, exponent
// (some to Inf/NaN) and sign bits on weights spread over the channels, and, where an input
// channel is zero on every image (a dead ReLU channel), finite flips of weights reading it. The
// evaluator pushes the faulty channel through its chain and skips a fault whose channel comes
// out golden; a full forward per fault must give the same facts, and a finite flip of a weight
// reading a dead channel must vanish at its Conv (0 x w is 0). Returns the faults of the latter.
int64_t check_splice_against_brute_force(const std::string& model, data::Source& src, const data::Preprocess& pre,
                                         const std::vector<std::string>& params) {
  exec::Executor ex(onnx_io::load_model(model));
  fault::WeightInjector inj(ex, repr::find_format("fp32"));
  data::Loader loader(src, pre, src.size());
  data::Batch all;
  EXPECT_TRUE(loader.next(all));
  const auto& g = ex.graph();
  std::vector<std::vector<fault::WeightFault>> trials;
  std::vector<bool> must_vanish;
  int64_t id = 0;
  for (const auto& param : params) {
    const auto shape = inj.shape(param);
    const int64_t n = inj.numel(param), per_out = n / shape.at(0), per_in = per_out / shape.at(1);
    for (int64_t k = 0; k < 8; ++k) {
      const int64_t index = (k * 7919 + k * per_out) % n;  // a spread of output and input channels
      for (int bit : {0, 12, 27, 30, 31}) {
        trials.push_back({fault::WeightFault{id++, param, index, bit}});
        must_vanish.push_back(false);
      }
    }
    const int conv = g.values[g.value(param)].consumers.at(0);
    const at::Tensor x = ex.capture(all.images, {conv}).values.at(g.nodes[conv].inputs[0]);
    const at::Tensor dead = x.abs().amax({0, 2, 3}).eq(0);
    for (int64_t c = 0; c < shape.at(1); ++c) {
      if (!dead[c].item<bool>()) continue;
      for (int bit : {0, 12, 22}) {  // the weight stays finite
        trials.push_back({fault::WeightFault{id++, param, (c % shape.at(0)) * per_out + c * per_in, bit}});
        must_vanish.push_back(true);
      }
    }
  }
  const int64_t batch = (src.size() + 1) / 2;  // two batches
  campaign::FaultEvaluator fast(ex, inj, src, pre, {batch, true});
  campaign::FaultEvaluator brute(ex, inj, src, pre, {batch, false});
  const auto r = fast.run(trials), b = brute.run(trials);
  int64_t vanished = 0, resumed = 0, dead_faults = 0;
  for (size_t t = 0; t < trials.size(); ++t) {
    const auto& f = trials[t][0];
    EXPECT_EQ(r[t].facts, b[t].facts) << model << ": " << f.param << "[" << f.flat_index << "] bit " << f.bit;
    vanished += r[t].vanished > 0;
    resumed += r[t].vanished < 2;
    if (must_vanish[t]) {
      ++dead_faults;
      EXPECT_EQ(r[t].vanished, 2) << f.param << "[" << f.flat_index << "] bit " << f.bit << " reads a dead channel";
    }
    if (r[t].vanished == 2)  // vanished in both batches: masked on every image
      for (uint8_t fact : r[t].facts) EXPECT_EQ(fact & campaign::kLogitsDiffer, 0);
  }
  EXPECT_GT(resumed, 0);
  std::printf("%s: %lld of %zu faults vanished in their channel chain; %lld read a dead channel\n", model.c_str(),
              static_cast<long long>(vanished), trials.size(), static_cast<long long>(dead_faults));
  return dead_faults;
}

}  // namespace

TEST(Campaign, SplicedChannelsAndVanishedFaultsGiveBruteForceFacts) {
  const std::string model = test::source_dir() + "/models/resnet20-fmnist.onnx";
  data::DataSelection sel;
  sel.limit = 32;
  auto src = data::open_spec("fashion-mnist:test", sel);
  check_splice_against_brute_force(model, *src, *data::card_preprocess(model),
                                   {"conv1.weight", "layer1.0.conv1.weight", "layer1.0.conv2.weight",
                                    "layer2.0.conv2.weight", "layer3.2.conv2.weight"});
}

TEST(Campaign, FaultsReadingADeadChannelVanishWithBruteForceFacts) {
  // The seed-004 authors' ResNet-20 has ReLU channels that are zero on every image (ours, trained
  // briefly on Fashion-MNIST, has none).
  const std::string dir = test::shared_data_dir();
  if (dir.empty()) GTEST_SKIP() << "../shared/data is absent";
  data::DataSelection sel;
  sel.per_class = 3;
  auto src = data::open_spec("cifar10:" + dir + "/cifar10-test-first932.bin", sel);
  data::Preprocess pre;
  pre.mean = {0.4914f, 0.4822f, 0.4465f};
  pre.std = {0.2023f, 0.1994f, 0.2010f};
  EXPECT_GT(check_splice_against_brute_force(dir + "/resnet20.onnx", *src, pre,
                                             {"conv1.weight", "layer1.0.conv1.weight", "layer1.0.conv2.weight",
                                              "layer1.2.conv2.weight", "layer3.0.conv1.weight"}),
            0);
}
