// cnnfi demo: the main job on the embedded default: evaluates the shipped models on Fashion-MNIST,
// then runs the demo campaigns (examples/demo/) and writes their report.
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "cli/common.h"
#include "data/card.h"
#include "data/loader.h"
#include "eval/evaluate.h"
#include "exec/executor.h"
#include "onnx/import.h"
#include "util/error.h"

#ifndef CNNFI_SOURCE_DIR
#define CNNFI_SOURCE_DIR "."
#endif

namespace cnnfi::cli {

namespace {

struct DemoOptions {
  std::string models_dir = CNNFI_SOURCE_DIR "/models";
  std::string campaigns_dir = CNNFI_SOURCE_DIR "/examples/demo";
  std::string out_dir = "out/demo";
  int64_t limit = 0;
  int threads = 0;
  bool eval_only = false;
};

/// The demo campaigns: seed 000's trio on the shipped ResNet-20 (F vs Q8 incremental, bit sweep,
/// layer-wise) and seed 003's on the shipped CCDF (the integer model under N faults per inference,
/// then the fault-aware CCDF against it). Stores go to out_dir; the full-size campaign files are in
/// examples/.
void run_campaigns(const DemoOptions& o) {
  namespace fs = std::filesystem;
  fs::create_directories(o.out_dir);
  const std::vector<std::string> order = {"incremental-fp32", "incremental-q8", "bit-sweep", "layer-wise",
                                          "quantized", "quantized-fat", "grid-w1a1", "grid-w2a2"};
  std::printf("\ndemo campaigns (demo size; stores in %s):\n", o.out_dir.c_str());
  std::vector<std::string> stores;
  for (const auto& name : order) {
    const std::string file = o.campaigns_dir + "/" + name + ".yaml";
    if (!fs::exists(file)) fail("{}: demo campaign missing", file);
    const std::string db = o.out_dir + "/" + name + ".db";
    fs::remove(db);
    fs::remove(db + "-wal");
    fs::remove(db + "-shm");
    std::printf("\n== %s\n", name.c_str());
    std::fflush(stdout);
    run_one(file, db, false);
    stores.push_back(db);
  }
  std::printf("\n== fault-aware training: faults per inference tolerated at a 1-point accuracy loss\n");
  std::fflush(stdout);
  print_tolerance({o.out_dir + "/quantized.db", o.out_dir + "/quantized-fat.db"}, 0.01);
  std::printf("\n== what to protect: cnnfi harden on the bit sweep and layer-wise stores, verified by a campaign\n");
  std::fflush(stdout);
  const std::string hard = o.out_dir + "/harden";
  for (const char* f : {"unprotected.db", "protected.db"})
    for (const char* ext : {"", "-wal", "-shm"}) fs::remove(hard + "/" + f + ext);
  print_harden({o.out_dir + "/bit-sweep.db", o.out_dir + "/layer-wise.db"}, o.campaigns_dir + "/harden-verify.yaml", hard);
  stores.push_back(hard + "/unprotected.db");
  stores.push_back(hard + "/protected.db");
  std::printf("\n== what to protect in the integer arithmetic: cnnfi harden on the quantised store, verified by a campaign\n");
  std::fflush(stdout);
  const std::string hardq = o.out_dir + "/harden-quantized";
  for (const char* f : {"unprotected.db", "protected.db"})
    for (const char* ext : {"", "-wal", "-shm"}) fs::remove(hardq + "/" + f + ext);
  print_harden({o.out_dir + "/quantized.db"}, o.campaigns_dir + "/harden-quantized-verify.yaml", hardq);
  std::printf("\n== seed 002: the accuracy of the W1A1 and W2A2 CNVs explained by model, fault mode, domain and faults\n");
  std::fflush(stdout);
  const std::string seed002 = "accuracy ~ model*mode*domain*faults";
  print_fit_of({o.out_dir + "/grid-w1a1.db", o.out_dir + "/grid-w2a2.db"}, seed002);
  const std::string report = o.out_dir + "/report.html";
  write_report(stores, report, {seed002});
  std::printf("\nReport: %s (cnnfi report ... --pdf FILE prints it)\n", fs::absolute(report).c_str());
  std::printf("\nFull size (all 10,000 test images): cnnfi run %s/examples/resnet20-bit-sweep.yaml (and "
              "resnet20-incremental-fp32.yaml, resnet20-incremental-q8.yaml, resnet20-layer-wise.yaml: R = 60), "
              "ccdf-quantized.yaml and ccdf-fat-quantized.yaml (R = 3); then cnnfi harden on the bit-sweep and layer-wise "
              "stores --verify resnet20-incremental-fp32.yaml, and on the ccdf-quantized store; seed 002: "
              "examples/seed002/cnv-w1a1-grid.yaml and cnv-w2a2-grid.yaml (every layer too), then cnnfi fit\n",
              CNNFI_SOURCE_DIR);
}

void run_demo(const DemoOptions& o) {
  namespace fs = std::filesystem;
  set_threads(o.threads);
  std::vector<std::string> models;
  if (!fs::is_directory(o.models_dir)) fail("{}: models directory not found", o.models_dir);
  for (const auto& e : fs::directory_iterator(o.models_dir))
    if (e.path().extension() == ".onnx") models.push_back(e.path().string());
  std::sort(models.begin(), models.end());
  if (models.empty()) fail("{}: no .onnx models", o.models_dir);
  std::printf("%-28s %-22s %8s %8s %8s %12s\n", "model", "data", "images", "top-1", "top-5", "images/s");
  for (const auto& m : models) {
    auto card = data::read_card(m);
    const std::string spec = card && card->contains("data") ? (*card)["data"]["test"].get<std::string>()
                                                             : "fashion-mnist:test";
    auto g = onnx_io::load_model(m);
    exec::Executor exec(g);
    DataOptions d;
    d.spec = spec;
    d.selection.limit = o.limit;
    auto opened = open_data(d, m);
    data::Loader loader(*opened.source, opened.pre, 256);
    const auto acc = eval::evaluate(exec, loader, fs::path(m).filename().string());
    std::printf("%-28s %-22s %8lld %8.4f %8.4f %12.1f\n", fs::path(m).filename().c_str(), spec.c_str(),
                static_cast<long long>(acc.images), acc.top1(), acc.top5(), acc.images_per_s());
    if (card && card->contains("test_accuracy"))
      std::printf("%-28s card: top-1 %.4f (%s)\n", "", (*card)["test_accuracy"]["top1"].get<double>(),
                  card->value("command", std::string("")).c_str());
  }
  std::fflush(stdout);
  if (!o.eval_only) run_campaigns(o);
}

}  // namespace

void setup_demo(CLI::App& app) {
  auto o = std::make_shared<DemoOptions>();
  auto* sub = app.add_subcommand(
      "demo", "evaluate the shipped models on Fashion-MNIST, then run the demo campaigns (seeds 000, 002, 003) and report them");
  sub->add_option("--campaigns", o->campaigns_dir, "directory of the demo campaign files");
  sub->add_option("--out", o->out_dir, "directory for the result stores");
  sub->add_flag("--eval-only", o->eval_only, "only the accuracy table");
  sub->add_option("--models", o->models_dir, "directory of shipped models");
  sub->add_option("--limit", o->limit, "use only the first N test images");
  sub->add_option("--threads", o->threads, "threads (default: all cores)");
  sub->callback([o] { run_demo(*o); });
}

}  // namespace cnnfi::cli
