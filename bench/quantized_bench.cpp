// The quantized campaign kind's speed (seed 003): fault-image evaluations per second with N faults
// per inference over every module of the integer model, against fault-free integer inference on
// the same images, and the ratio (target >= 0.5). Both loops are the evaluator's: a batch's
// faults are drawn per image, armed, the batch runs, the faults are disarmed.
// Usage: bench_quantized [faults=10] [images=1000] [trials=5] [threads=0] [model] [batch=500] [modules=all]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <ATen/Parallel.h>

#include "cli/common.h"
#include "data/card.h"
#include "data/loader.h"
#include "data/spec.h"
#include "onnx/import.h"
#include "quant/model.h"
#include "util/allocator.h"

using namespace cnnfi;

int main(int argc, char** argv) {
  tune_allocator();
  const int64_t n_faults = argc > 1 ? std::atoll(argv[1]) : 10;
  const int64_t n_images = argc > 2 ? std::atoll(argv[2]) : 1000;
  const int64_t n_trials = argc > 3 ? std::atoll(argv[3]) : 5;
  const int threads = argc > 4 ? std::atoi(argv[4]) : 0;
  const std::string model = argc > 5 && std::string(argv[5]) != "-" ? argv[5]
                                                                    : std::string(CNNFI_SOURCE_DIR) + "/models/resnet20-fmnist.onnx";
  const int64_t batch = argc > 6 ? std::atoll(argv[6]) : 500;
  const std::string modules = argc > 7 ? argv[7] : "all";
  cli::set_threads(threads);
  exec::Executor ex(onnx_io::load_model(model));
  const auto pre = data::PreprocessFlags{}.resolve(data::card_preprocess(model));
  data::DataSelection cs, ts;
  cs.limit = 500;
  ts.limit = n_images;
  auto calib = data::open_spec("fashion-mnist:train", cs, pre.resize_h, pre.resize_w);
  auto test = data::open_spec("fashion-mnist:test", ts, pre.resize_h, pre.resize_w);
  quant::QuantizedModel q(ex);
  q.calibrate(*calib, pre, 250);
  const quant::FaultSampler sampler(q, quant::ModuleSet::parse(modules));
  // Load the batches once: both loops time the model, not the data reader.
  std::vector<data::Batch> batches;
  data::Loader loader(*test, pre, batch);
  for (data::Batch b; loader.next(b);) batches.push_back(b);
  auto seconds = [](auto t0) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  auto t0 = std::chrono::steady_clock::now();
  for (int64_t t = 0; t < n_trials; ++t)
    for (const auto& b : batches) ex.forward(b.images);
  const double clean = seconds(t0);
  t0 = std::chrono::steady_clock::now();
  for (int64_t t = 0; t < n_trials; ++t)
    for (const auto& b : batches) {
      std::vector<quant::Fault> faults;
      for (int64_t i = b.start; i < b.start + b.labels.size(0); ++i) {
        auto f = sampler.draw(n_faults, static_cast<uint64_t>(t) + 1, i);
        faults.insert(faults.end(), f.begin(), f.end());
      }
      q.arm(faults, b.start, b.labels.size(0));
      ex.forward(b.images);
      q.disarm();
    }
  const double faulty = seconds(t0);
  const double evals = static_cast<double>(n_trials * test->size());
  std::printf("quantized campaign on %s: %lld images x %lld trials, %lld faults per inference over %s (%lld bits), %d threads\n",
              model.c_str(), static_cast<long long>(test->size()), static_cast<long long>(n_trials),
              static_cast<long long>(n_faults), modules.c_str(), static_cast<long long>(sampler.bits()), at::get_num_threads());
  std::printf("fault-free integer inference: %10.1f images/s\n", evals / clean);
  std::printf("campaign (faults per image):  %10.1f fault-image evaluations/s\n", evals / faulty);
  std::printf("ratio: %.2f (target >= 0.5)\n", clean / faulty);
}
