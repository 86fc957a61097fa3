// The `single` campaign kind's speed: fault-image evaluations per second for random FP32 bit
// flips on the shipped ResNet-20, by brute force (a full forward per fault) and by the
// optimised path (golden cache, resume from the faulty layer, masked faults skipped), and the
// ratio. The optimised path: golden cache, resume from the faulty layer, one-channel recompute
// of a faulty Conv (when exact), masked stuck-ats skipped. Brute force is linear in the fault count, so it is timed on the first `brute` faults;
// both paths must give identical per-image facts on those.
// Usage: bench_single [faults=1000] [images=1000] [brute=100] [threads=0] [model] [batch=500]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <ATen/Parallel.h>

#include "campaign/evaluator.h"
#include "campaign/outcome.h"
#include "cli/common.h"
#include "util/allocator.h"
#include "data/card.h"
#include "data/spec.h"
#include "fault/generate.h"
#include "onnx/import.h"
#include "repr/format.h"

using namespace cnnfi;

int main(int argc, char** argv) {
  tune_allocator();
  const int64_t n_faults = argc > 1 ? std::atoll(argv[1]) : 1000;
  const int64_t n_images = argc > 2 ? std::atoll(argv[2]) : 1000;
  const int64_t n_brute = argc > 3 ? std::atoll(argv[3]) : 100;
  const int threads = argc > 4 ? std::atoi(argv[4]) : 0;
  const std::string model = argc > 5 && std::string(argv[5]) != "-" ? argv[5]
                                                                    : std::string(CNNFI_SOURCE_DIR) + "/models/resnet20-fmnist.onnx";
  const int64_t batch = argc > 6 ? std::atoll(argv[6]) : 500;
  cli::set_threads(threads);
  exec::Executor ex(onnx_io::load_model(model));
  fault::WeightInjector inj(ex, repr::find_format("fp32"));
  fault::GenerateSpec spec;
  spec.total = n_faults;
  fault::Rng rng(1);
  const auto trials = fault::group_faults(fault::generate(inj, spec, rng));
  data::DataSelection sel;
  sel.limit = n_images;
  auto src = data::open_spec("fashion-mnist:test", sel);
  const auto pre = *data::card_preprocess(model);
  auto time = [&](bool resume, const std::vector<std::vector<fault::WeightFault>>& t,
                  std::vector<campaign::TrialResult>* out, bool prove = false) {
    campaign::EvaluatorOptions eo;
    eo.resume = resume;
    eo.prove = prove;
    eo.batch = batch;
    campaign::FaultEvaluator ev(ex, inj, *src, pre, eo);
    const auto t0 = std::chrono::steady_clock::now();
    *out = ev.run(t);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  const std::vector<std::vector<fault::WeightFault>> subset(trials.begin(), trials.begin() + std::min<size_t>(n_brute, trials.size()));
  std::vector<campaign::TrialResult> brute, fast_subset, fast;
  const double t_brute = time(false, subset, &brute);
  time(true, subset, &fast_subset);
  for (size_t i = 0; i < subset.size(); ++i)
    if (brute[i].facts != fast_subset[i].facts) {
      std::printf("MISMATCH: fault %zu gives different facts on the two paths\n", i);
      return 1;
    }
  const double t_fast = time(true, trials, &fast);
  const double brute_rate = subset.size() * static_cast<double>(src->size()) / t_brute;
  const double fast_rate = trials.size() * static_cast<double>(src->size()) / t_fast;
  std::printf("single campaign, %s, %zu random FP32 bit flips x %lld images, %d threads, batch %lld\n",
              model.c_str(), trials.size(), static_cast<long long>(src->size()), at::get_num_threads(),
              static_cast<long long>(batch));
  std::printf("  brute force (full forward per fault, timed on %zu faults): %10.0f fault-image evaluations/s\n",
              subset.size(), brute_rate);
  std::printf("  optimised (golden cache, resume, Conv channel splice):      %10.0f fault-image evaluations/s (%.1fs)\n",
              fast_rate, t_fast);
  std::printf("  speed-up: %.2fx (identical facts on the %zu faults timed both ways)\n", fast_rate / brute_rate,
              subset.size());
  // exact: false: faults whose every image a bound proves unchanged are not run. Sound on every
  // pair: where a fact says proven, the evaluated fact has the same top-1 and top-5 outcome.
  std::vector<campaign::TrialResult> proved;
  const double t_prove = time(true, trials, &proved, true);
  int64_t pairs = 0, proven = 0;
  for (size_t i = 0; i < trials.size(); ++i)
    for (size_t k = 0; k < proved[i].facts.size(); ++k) {
      ++pairs;
      const uint8_t p = proved[i].facts[k], e = fast[i].facts[k];
      if (!(p & campaign::kProven)) {
        if (p != e) {
          std::printf("MISMATCH: fault %zu image %zu: unproven fact %d differs from the exact %d\n", i, k, p, e);
          return 1;
        }
        continue;
      }
      ++proven;
      const uint8_t keep = campaign::kTop1Correct | campaign::kTop5Correct;
      if ((e & (campaign::kTop1Changed | campaign::kNonFinite | campaign::kTop1ChangedNanMax)) || (e & keep) != (p & keep)) {
        std::printf("UNSOUND: fault %zu image %zu proven unchanged, but evaluated fact is %d\n", i, k, e);
        return 1;
      }
    }
  const double prove_rate = trials.size() * static_cast<double>(src->size()) / t_prove;
  std::printf("  exact: false (proven outcomes skipped):                   %10.0f fault-image evaluations/s (%.1fs)\n",
              prove_rate, t_prove);
  std::printf("  proven pairs: %lld of %lld (%.1f %%), every one checked against its evaluation; speed-up over "
              "brute force %.2fx, over exact %.2fx\n",
              static_cast<long long>(proven), static_cast<long long>(pairs), 100.0 * proven / std::max<int64_t>(1, pairs),
              prove_rate / brute_rate, prove_rate / fast_rate);
  return 0;
}
