// cnnfi train: train a reference architecture (--arch) or an imported ONNX model (--model),
// export it to ONNX (opset 13, checked), verify the export re-imports with the same outputs,
// evaluate it on the test set and write its model card next to it.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "data/card.h"
#include "data/loader.h"
#include "eval/evaluate.h"
#include "exec/executor.h"
#include "onnx/builder.h"
#include "onnx/export.h"
#include "onnx/import.h"
#include "train/arch/arch.h"
#include "train/trainer.h"
#include "util/error.h"
#include "util/file.h"

namespace cnnfi::cli {

namespace {

struct TrainOptions {
  std::string arch, model, output, test_spec;
  DataOptions data;
  train::TrainConfig cfg;
  int threads = 0;
  int classes = 10;
  std::string command;
};

std::string default_test_spec(const std::string& train_spec) {
  if (train_spec == "fashion-mnist:train") return "fashion-mnist:test";
  return "";
}

void run_train(const TrainOptions& o) {
  if (o.arch.empty() == o.model.empty()) fail("cnnfi train: give exactly one of --arch or --model");
  refuse_overwrite(o.output, {o.model}, "-o");
  set_threads(o.threads);
  const auto t_start = std::chrono::steady_clock::now();
  auto opened = open_data(o.data, o.model);
  // The input shape after preprocessing decides the architecture's input.
  data::Loader probe(*opened.source, opened.pre, 1);
  const at::Tensor sample = probe.read(0, 1).images;

  onnx::ModelProto proto;
  std::string name = o.model;
  if (!o.arch.empty()) {
    const auto& arch = train::find_arch(o.arch);
    train::ArchSpec spec;
    spec.channels = static_cast<int>(sample.size(1));
    spec.height = static_cast<int>(sample.size(2));
    spec.width = static_cast<int>(sample.size(3));
    spec.classes = o.classes;
    spec.seed = o.cfg.seed;
    proto = arch.build(spec);
    name = o.arch;
  } else {
    proto = onnx_io::parse_model(read_file(o.model), o.model);
  }
  auto graph = onnx_io::load_model_proto(proto, name);
  exec::Executor exec(graph);
  std::fprintf(stderr, "training %s on %s (%lld images), %d epochs, seed %llu\n", name.c_str(),
               opened.source->describe().c_str(), static_cast<long long>(opened.source->size()), o.cfg.epochs,
               static_cast<unsigned long long>(o.cfg.seed));
  nlohmann::json epochs = nlohmann::json::array();
  train::train(exec, *opened.source, opened.pre, o.cfg, [&](const train::EpochStats& s) {
    std::fprintf(stderr, "epoch %3d  loss %.4f  train top-1 %.4f  lr %.5f  %.1fs\n", s.epoch, s.loss, s.train_top1,
                 s.lr, s.seconds);
    epochs.push_back({{"epoch", s.epoch}, {"loss", s.loss}, {"train_top1", s.train_top1}, {"seconds", s.seconds}});
  });

  onnx_io::save_model(onnx_io::export_model(exec), o.output);
  // The exported file must reproduce the training-time executor.
  auto reloaded = onnx_io::load_model(o.output);
  exec::Executor check(reloaded);
  const std::string test_spec = o.test_spec.empty() ? default_test_spec(o.data.spec) : o.test_spec;
  DataOptions td = o.data;
  if (!test_spec.empty()) td.spec = test_spec;
  td.selection = {};
  auto test = data::open_spec(td.spec, {}, opened.pre.resize_h, opened.pre.resize_w);
  data::Loader test_loader(*test, opened.pre, 256);
  const at::Tensor batch = test_loader.read(0, std::min<int64_t>(64, test->size())).images;
  const double diff = (exec.forward(batch) - check.forward(batch)).abs().max().item<double>();
  std::fprintf(stderr, "export check: max |training-time - re-imported| = %.3g on %lld images\n", diff,
               static_cast<long long>(batch.size(0)));
  if (!(diff <= 1e-5)) fail("{}: the exported model differs from the trained one by {} (> 1e-5)", o.output, diff);

  const eval::Accuracy acc = eval::evaluate(check, test_loader, "test");
  std::printf("%s: test top-1 %.4f top-5 %.4f on %s (%lld images)\n", o.output.c_str(), acc.top1(), acc.top5(),
              td.spec.c_str(), static_cast<long long>(acc.images));

  nlohmann::json card = {
      {"name", std::filesystem::path(o.output).stem().string()},
      {"architecture", o.arch.empty() ? "imported:" + o.model : o.arch},
      {"preprocessing", opened.pre.to_json()},
      {"data", {{"train", o.data.spec}, {"test", td.spec}}},
      {"seed", o.cfg.seed},
      {"epochs", o.cfg.epochs},
      {"training", {{"batch", o.cfg.batch}, {"lr", o.cfg.lr}, {"momentum", o.cfg.momentum},
                    {"weight_decay", o.cfg.weight_decay}, {"flip", o.cfg.flip}, {"crop_pad", o.cfg.crop_pad},
                    {"schedule", "cosine"}, {"optimizer", "SGD, Nesterov momentum"}, {"history", epochs}}},
      {"command", o.command},
      {"test_accuracy", {{"top1", acc.top1()}, {"top5", acc.top5()}, {"images", acc.images}, {"top1_correct", acc.top1_correct}}},
      {"export_max_abs_diff", diff},
      {"cnnfi_version", CNNFI_VERSION},
      {"threads", at::get_num_threads()},
      {"train_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count()}};
  const std::string card_file = data::card_path(o.output);
  std::ofstream(card_file) << card.dump(2) << "\n";
  std::fprintf(stderr, "wrote %s and %s\n", o.output.c_str(), card_file.c_str());
}

}  // namespace

void setup_train(CLI::App& app) {
  auto o = std::make_shared<TrainOptions>();
  auto* sub = app.add_subcommand("train", "train a reference architecture or an ONNX model and export it to ONNX");
  std::string archs;
  for (const auto& e : train::arch_table()) archs += std::string(archs.empty() ? "" : ", ") + e.name;
  sub->add_option("--arch", o->arch, "architecture: " + archs);
  sub->add_option("--model", o->model, "an ONNX model to train further instead of --arch");
  add_data_options(*sub, o->data);
  sub->add_option("--test-data", o->test_spec, "test set for the final accuracy (default: the matching test split)");
  sub->add_option("--epochs", o->cfg.epochs, "epochs")->required();
  sub->add_option("--seed", o->cfg.seed, "seed of initialisation, shuffling and augmentation");
  sub->add_option("--lr", o->cfg.lr, "peak learning rate (cosine schedule)");
  sub->add_option("--weight-decay", o->cfg.weight_decay, "L2 weight decay of conv/FC weights");
  sub->add_option("--classes", o->classes, "number of classes");
  sub->add_flag("--flip", o->cfg.flip, "random horizontal flips");
  sub->add_option("--crop-pad", o->cfg.crop_pad, "random crops after padding by this many pixels");
  sub->add_option("--threads", o->threads, "threads (default: all cores)");
  sub->add_option("-o,--output", o->output, "output ONNX file")->required();
  sub->callback([o, sub] {
    o->cfg.batch = o->data.batch == 256 && sub->count("--batch") == 0 ? 128 : o->data.batch;
    std::string cmd = "cnnfi train";
    for (const auto& r : sub->get_options())
      if (r->count() && r->get_name() != "--help") {
        cmd += " " + r->get_name(false, true).substr(0, r->get_name(false, true).find(','));
        if (r->get_expected_min() > 0)
          for (const auto& v : r->results()) cmd += " " + v;
      }
    o->command = cmd;
    run_train(*o);
  });
}

}  // namespace cnnfi::cli
