// Memory of the store readers on a store of millions of trials: builds an exhaustive stuck-at
// store over layers of the shipped ResNet-20 (the plan exactly as `kind: exhaustive` plans it,
// the golden rows and per-image facts synthetic but valid: half the faults masked, most others
// tolerable on a few images, some critical), then runs `cnnfi report`, `estimate`, `export`
// and `validate` on it as child processes and prints each one's wall time and peak resident
// memory (getrusage of the child), against the 1 GiB bound.
// Usage: bench_store_memory [trials=5000000] [images=100] [dir=/tmp/cnnfi-store-bench]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "campaign/config.h"
#include "campaign/kind.h"
#include "campaign/outcome.h"
#include "campaign/runner.h"
#include "exec/executor.h"
#include "fault/injector.h"
#include "fault/population.h"
#include "fault/rng.h"
#include "onnx/import.h"
#include "repr/format.h"
#include "store/store.h"
#include "util/sha256.h"

using namespace cnnfi;

namespace {

struct Child {
  double seconds = 0;
  double peak_mib = 0;
  int status = -1;
};

Child run(const std::vector<std::string>& args, const std::string& log) {
  const auto t0 = std::chrono::steady_clock::now();
  std::fflush(stdout);  // the child must not inherit (and write) the parent's buffered lines
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid == 0) {
    if (!std::freopen(log.c_str(), "w", stdout) || !std::freopen(log.c_str(), "a", stderr)) _exit(127);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  Child c;
  struct rusage ru {};
  int status = 0;
  wait4(pid, &status, 0, &ru);
  c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  c.peak_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux: kilobytes
  c.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t want = argc > 1 ? std::atoll(argv[1]) : 5000000;
  const int64_t images = argc > 2 ? std::atoll(argv[2]) : 100;
  const std::string dir = argc > 3 ? argv[3] : "/tmp/cnnfi-store-bench";
  std::filesystem::create_directories(dir);
  const std::string model = std::string(CNNFI_SOURCE_DIR) + "/models/resnet20-fmnist.onnx";
  const std::string db = dir + "/exhaustive.db";
  std::filesystem::remove(db);
  std::filesystem::remove(db + "-wal");

  // Whole layers, in graph order, until the population reaches `want` faults.
  exec::Executor ex(onnx_io::load_model(model));
  fault::WeightInjector inj(ex, repr::find_format("fp32"));
  std::vector<std::string> layers;
  int64_t total = 0;
  for (const auto& p : inj.params()) {
    if (total >= want) break;
    if (inj.shape(p).size() < 2) continue;  // weights, not biases
    layers.push_back(p);
    total += inj.numel(p) * 64;
  }
  std::string yaml = "kind: exhaustive\nmodel: " + model + "\ndata: fashion-mnist:test\nlimit: " +
                     std::to_string(images) + "\nfault_model: sa\nnonfinite: torch\nlayers: [";
  for (size_t i = 0; i < layers.size(); ++i) yaml += (i ? ", " : "") + layers[i];
  yaml += "]\n";
  std::ofstream(dir + "/exhaustive.yaml") << yaml;
  const auto cfg = campaign::parse_campaign(yaml, dir + "/exhaustive.yaml");

  store::Meta meta;
  meta.kind = "exhaustive";
  meta.config_yaml = yaml;
  meta.config_file = dir + "/exhaustive.yaml";
  meta.cnnfi_version = "bench";
  meta.seed = 1;
  meta.model = model;
  meta.model_sha256 = sha256_file(model);
  meta.data = "synthetic facts (bench_store_memory)";
  meta.data_sha256 = std::string(64, '0');
  meta.images = images;
  meta.format = "fp32";
  meta.nonfinite = "torch";
  meta.preprocessing = "{}";
  meta.criticality = "pairs";
  meta.t = 2.58;
  meta.started = meta.finished = "2026-12-02T00:00:00Z";
  meta.status = "complete";
  // The plan and its strata exactly as the exhaustive kind makes them (one run per layer and bit).
  auto plan = campaign::find_kind("exhaustive").plan(campaign::PlanInput{cfg, inj, ex, &meta});
  int64_t planned = 0;
  for (auto& t : plan) {
    t.trial = planned;
    planned += t.run;
  }

  std::vector<store::GoldenRow> golden;
  for (int64_t i = 0; i < images; ++i)
    golden.push_back({i, i % 10, i % 10,
                      static_cast<uint8_t>(i % 11 == 0 ? 0 : campaign::kTop1Correct | campaign::kTop5Correct)});
  const auto t0 = std::chrono::steady_clock::now();
  {
    store::Store st(db, store::OpenMode::write);
    st.write_plan(meta, golden, plan);
    fault::Rng rng(7);
    std::vector<store::TrialRow> rows;
    auto flush = [&] {
      st.write_results(rows);
      rows.clear();
    };
    for (int64_t trial = 0; trial < planned;) {
      std::vector<uint8_t> facts(static_cast<size_t>(images));
      for (int64_t i = 0; i < images; ++i) facts[static_cast<size_t>(i)] = golden[static_cast<size_t>(i)].facts;
      const uint64_t u = rng.below(100);
      if (u >= 50) {  // not masked: a few images tolerable, some critical
        const int64_t hit = 1 + static_cast<int64_t>(rng.below(8));
        for (int64_t k = 0; k < hit; ++k) {
          auto& fact = facts[static_cast<size_t>(rng.below(static_cast<uint64_t>(images)))];
          fact |= campaign::kLogitsDiffer;
          if (u >= 90) fact = static_cast<uint8_t>((fact | campaign::kTop1Changed | campaign::kTop1ChangedNanMax) &
                                                   ~campaign::kTop1Correct);
        }
      }
      auto r = campaign::finished_row(trial, std::move(facts), false, campaign::NonFinitePolicy::torch);
      rows.push_back(std::move(r));
      if (++trial % 200000 == 0) flush();
    }
    flush();
  }
  const double build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("store: %lld trials (stuck-at pairs of %zu ResNet-20 layers) x %lld images, %.0f MiB on disk, "
              "written in %.0f s\n",
              static_cast<long long>(total), layers.size(), static_cast<long long>(images),
              static_cast<double>(std::filesystem::file_size(db)) / (1 << 20), build_s);

  const std::string bin = CNNFI_BINARY;
  const std::vector<std::pair<std::string, std::vector<std::string>>> commands = {
      {"report", {bin, "report", db, "-o", dir + "/report.html"}},
      {"estimate", {bin, "estimate", db}},
      {"export", {bin, "export", db, "--csv", dir + "/points.csv", "--json", dir + "/store.json"}},
      {"validate", {bin, "validate", db, "--samples", "1", "--methods", "network"}},
  };
  std::printf("%-10s %10s %14s %10s\n", "command", "wall s", "peak RSS MiB", "< 1 GiB");
  int failed = 0;
  for (const auto& [name, args] : commands) {
    std::filesystem::remove(dir + "/report.html");
    std::filesystem::remove(dir + "/points.csv");
    std::filesystem::remove(dir + "/store.json");
    const auto c = run(args, dir + "/" + name + ".log");
    std::printf("%-10s %10.1f %14.1f %10s%s\n", name.c_str(), c.seconds, c.peak_mib, c.peak_mib < 1024 ? "yes" : "NO",
                c.status == 0 ? "" : fmt::format("   (exit {}, see {}/{}.log)", c.status, dir, name).c_str());
    failed += c.status != 0 || c.peak_mib >= 1024;
  }
  return failed ? 1 : 0;
}
