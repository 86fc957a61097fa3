// What the seed-004 exhaustive campaign would cost on this machine: a stratified sample of every
// weight layer's stuck-at population (k faults per layer, uniform without replacement) is run
// through the same evaluator the `exhaustive` kind uses (golden cache, resume from the faulty
// layer, one-channel splice, provably masked stuck-ats skipped; exact), timed per layer in
// chunks, and each layer's time per fault is scaled to its population. Prints per layer: N, the
// seconds per fault, the projected hours with a 95 % interval (from the spread of the chunks),
// the sampled critical-pair rate and the share of run faults (not provably masked stuck-ats) whose
// recomputed channel came out bit-identical to the golden one (not resumed); then the whole network.
// Usage: bench_exhaustive_projection CAMPAIGN.yaml [k=200] [chunks=4] [threads=0]
//   CAMPAIGN.yaml: an exhaustive campaign (model, data, layers, fault_model, nonfinite), e.g.
//   examples/seed004/resnet20-exhaustive.yaml
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <ATen/Parallel.h>

#include "campaign/config.h"
#include "campaign/evaluator.h"
#include "campaign/outcome.h"
#include "campaign/runner.h"
#include "cli/common.h"
#include "fault/population.h"
#include "onnx/import.h"
#include "repr/format.h"
#include "util/allocator.h"
#include "util/file.h"

using namespace cnnfi;

int main(int argc, char** argv) {
  tune_allocator();
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_exhaustive_projection CAMPAIGN.yaml [k=200] [chunks=4] [threads=0]\n");
    return 2;
  }
  const auto cfg = campaign::parse_campaign(read_file(argv[1]), argv[1]);
  const int64_t k = argc > 2 ? std::atoll(argv[2]) : 200;
  const int chunks = argc > 3 ? std::atoi(argv[3]) : 4;
  cli::set_threads(argc > 4 ? std::atoi(argv[4]) : 0);
  const auto policy = cfg.nonfinite;
  exec::Executor ex(onnx_io::load_model(cfg.model));
  fault::WeightInjector inj(ex, repr::find_format(cfg.format));
  auto [pre, source, resolved] = campaign::open_campaign_data(cfg);
  const auto pops = fault::populations(inj, ex, cfg.layers, cfg.bits, cfg.fault_model);
  campaign::EvaluatorOptions eo;
  eo.batch = cfg.batch;
  eo.prove = !cfg.exact;  // exact: false in the campaign: proven pairs are not run
  campaign::FaultEvaluator ev(ex, inj, *source, pre, eo);
  ev.golden_facts();
  std::printf("projection of %s: %zu layers, %lld images, %d threads, %lld faults sampled per layer in %d chunks%s\n",
              argv[1], pops.size(), static_cast<long long>(ev.images()), at::get_num_threads(),
              static_cast<long long>(k), chunks, cfg.exact ? "" : ", exact: false");
  std::printf("%-28s %10s %12s %12s %18s %10s %9s\n", "layer", "N", "s/fault", "projected h", "95 % interval h",
              "crit rate", "vanished");
  double total = 0, total_var = 0, sampled_s = 0;
  int64_t total_n = 0;
  for (size_t l = 0; l < pops.size(); ++l) {
    const auto& p = pops[l];
    const int64_t n = std::min(k, p.size());
    const auto units = fault::permutation_prefix(p.size(), n, cfg.seed + l);
    std::vector<double> per_fault;  // seconds per fault, one value per chunk
    int64_t critical = 0, pairs = 0, vanished = 0, run = 0;
    for (int c = 0; c < chunks; ++c) {
      std::vector<std::vector<fault::WeightFault>> trials;
      for (int64_t i = n * c / chunks; i < n * (c + 1) / chunks; ++i) trials.push_back({p.fault(units[static_cast<size_t>(i)])});
      if (trials.empty()) continue;
      const auto t0 = std::chrono::steady_clock::now();
      const auto results = ev.run(trials);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      sampled_s += s;
      per_fault.push_back(s / static_cast<double>(trials.size()));
      for (const auto& r : results) {
        vanished += r.vanished;
        run += r.skipped ? 0 : 1;
        const auto cnt = campaign::count(r.facts, policy);
        critical += cnt.critical;
        pairs += cnt.images;
      }
    }
    double mean = 0, var = 0;
    for (double v : per_fault) mean += v;
    mean /= static_cast<double>(per_fault.size());
    for (double v : per_fault) var += (v - mean) * (v - mean);
    const double m = static_cast<double>(per_fault.size());
    const double se = per_fault.size() > 1 ? std::sqrt(var / (m - 1) / m) : 0;  // of the mean
    const double hours = mean * static_cast<double>(p.size()) / 3600, half = 1.96 * se * static_cast<double>(p.size()) / 3600;
    total += hours;
    total_var += half * half;
    total_n += p.size();
    std::printf("%-28s %10lld %12.5f %12.3f %8.3f .. %7.3f %9.4f%% %8.1f%%\n", p.param.c_str(),
                static_cast<long long>(p.size()), mean, hours, std::max(0.0, hours - half), hours + half,
                100.0 * critical / std::max<int64_t>(1, pairs), 100.0 * vanished / std::max<int64_t>(1, run));
  }
  const double half = std::sqrt(total_var);
  std::printf("whole network: %lld faults, projected %.1f h (95 %% interval %.1f .. %.1f h) = %.1f days on this "
              "machine; the sample took %.0f s\n",
              static_cast<long long>(total_n), total, std::max(0.0, total - half), total + half, total / 24, sampled_s);
  return 0;
}
