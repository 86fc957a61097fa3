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
#include "data/spec.h"
#include "eval/evaluate.h"
#include "exec/executor.h"
#include "onnx/builder.h"
#include "onnx/export.h"
#include "onnx/import.h"
#include "quant/model.h"
#include "train/arch/arch.h"
#include "train/kbit.h"
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
  int64_t fat = -1;  ///< faults per inference in fault-aware training (-1: plain training)
  std::string fat_modules = "i8,w8,o8";
  int64_t calibration_images = 500;
  int weight_bits = 32, act_bits = 32;  ///< k-bit CNV (seed 002)
  double width = 1.0;
};

std::string default_test_spec(const std::string& train_spec) {
  if (train_spec == "fashion-mnist:train") return "fashion-mnist:test";
  return "";
}

void run_train(const TrainOptions& o) {
  if (o.arch.empty() == o.model.empty()) fail("cnnfi train: give exactly one of --arch or --model");
  {
    // The model, its card and the data are read; -o and the card written beside it are not them.
    std::vector<std::string> inputs = o.model.empty() ? std::vector<std::string>{} : model_inputs(o.model);
    for (const auto& f : data::spec_files(o.data.spec)) inputs.push_back(f);
    refuse_overwrite(o.output, inputs, "-o");
    refuse_overwrite(data::card_path(o.output), inputs, "-o (its model card)");
  }
  set_threads(o.threads);
  const auto t_start = std::chrono::steady_clock::now();
  // A reference architecture is trained on the preprocessing the flags give (the model then
  // carries it); a model trained further keeps its own unless flags override it.
  auto opened = open_data(o.data, o.model, !o.model.empty());
  if (o.model.empty()) std::fprintf(stderr, "training preprocessing: %s\n", opened.resolved.describe().c_str());
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
    spec.weight_bits = o.weight_bits;
    spec.act_bits = o.act_bits;
    spec.width_mult = o.width;
    if ((o.weight_bits != 32 || o.act_bits != 32 || o.width != 1.0) && o.arch != "cnv")
      fail("--weight-bits, --act-bits and --width apply to --arch cnv only");
    proto = arch.build(spec);
    name = o.arch;
  } else {
    proto = onnx_io::parse_model(read_file(o.model), o.model);
  }
  auto graph = onnx_io::load_model_proto(proto, name);
  exec::Executor exec(graph);
  // Fault-aware training: the integer model's layers, fake-quantised, with o.fat faults per
  // inference over the unprotected 8-bit modules.
  std::unique_ptr<quant::QuantizedModel> fat;
  std::unique_ptr<quant::FaultSampler> sampler;
  quant::ModuleSet fat_modules;
  if (o.fat >= 0) {
    fat_modules = quant::ModuleSet::parse(o.fat_modules);
    if (fat_modules.has(quant::Module::b32) || fat_modules.has(quant::Module::o32))
      fail("--fat-modules {}: fault-aware training keeps the 32-bit modules protected (as seed 003); choose from i8, w8, o8",
           o.fat_modules);
    if (o.calibration_images < 1) fail("--calibration-images {}: at least 1", o.calibration_images);
    fat = std::make_unique<quant::QuantizedModel>(exec);
    auto calib = data::select(data::open_spec(o.data.spec, {}, opened.pre.resize_h, opened.pre.resize_w), o.calibration_images, 0);
    fat->install_training(*calib, opened.pre, fat_modules);
    // The layer producing the logits is left out: a fault there is an offset of a logit that no
    // weight can learn around, and answering it by larger logits makes the output scale, and the
    // next such fault, grow without bound (training then diverges).
    sampler = std::make_unique<quant::FaultSampler>(*fat, fat_modules, std::vector<bool>{},
                                                    [](const quant::QuantLayer& l, quant::Module) { return !l.output_layer; });
    if (o.fat > sampler->bits())
      fail("--fat {}: more faults per inference than the {} vulnerable bits of one forward pass in {} (each fault flips "
           "a distinct bit)",
           o.fat, sampler->bits(), fat_modules.name());
    std::fprintf(stderr, "fault-aware training: %lld fault(s) per inference over %s (%lld vulnerable bits per inference)\n",
                 static_cast<long long>(o.fat), fat_modules.name().c_str(), static_cast<long long>(sampler->bits()));
  }
  train::TrainConfig cfg = o.cfg;
  if (fat && o.fat > 0)
    cfg.before_step = [&](int64_t step, int64_t rows) {
      std::vector<quant::Fault> faults;
      const uint64_t seed = o.cfg.seed * 0x9e3779b97f4a7c15ull + static_cast<uint64_t>(step);
      for (int64_t r = 0; r < rows; ++r) {
        auto f = sampler->draw(o.fat, seed, r);
        faults.insert(faults.end(), f.begin(), f.end());
      }
      fat->arm(faults, 0, rows);
    };
  std::fprintf(stderr, "training %s on %s (%lld images), %d epochs, seed %llu\n", name.c_str(),
               opened.source->describe().c_str(), static_cast<long long>(opened.source->size()), o.cfg.epochs,
               static_cast<unsigned long long>(o.cfg.seed));
  nlohmann::json epochs = nlohmann::json::array();
  train::train(exec, *opened.source, opened.pre, cfg, [&](const train::EpochStats& s) {
    std::fprintf(stderr, "epoch %3d  loss %.4f  train top-1 %.4f  lr %.5f  %.1fs\n", s.epoch, s.loss, s.train_top1,
                 s.lr, s.seconds);
    epochs.push_back({{"epoch", s.epoch}, {"loss", s.loss}, {"train_top1", s.train_top1}, {"seconds", s.seconds}});
  });

  std::string scales;
  if (fat) {
    fat->disarm();
    scales = fat->scales_json();
    fat->uninstall();  // the float weights as trained; the scales travel in the model's metadata
  }
  auto exported = onnx_io::export_model(exec);
  // k-bit networks: the weight quantisers fold into the initialisers (the stored k-bit values).
  if (const int folded = train::fold_weight_quantizers(exported))
    std::fprintf(stderr, "export: %d weight quantiser node(s) folded into the weights\n", folded);
  if (fat) onnx_io::set_metadata(exported, quant::kScalesKey, scales);
  // The preprocessing travels with the model file as well as in its card.
  onnx_io::set_metadata(exported, data::kPreprocessKey, opened.pre.to_json().dump());
  onnx_io::save_model(exported, o.output);
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
  // The integer model of the result (its own scales after fault-aware training, else calibrated
  // on the first training images).
  nlohmann::json int8 = nullptr;
  {
    quant::QuantizedModel q(check);
    if (!q.layers().empty()) {
      auto calib = data::select(data::open_spec(o.data.spec, {}, opened.pre.resize_h, opened.pre.resize_w), o.calibration_images, 0);
      q.calibrate(*calib, opened.pre, 250);
      test_loader.rewind();
      const eval::Accuracy qa = eval::evaluate(check, test_loader, "test int8");
      std::printf("%s: integer (int8) test top-1 %.4f\n", o.output.c_str(), qa.top1());
      int8 = {{"top1", qa.top1()}, {"scales", fat ? "fault-aware training" : "calibrated on the first training images"}};
    }
  }

  nlohmann::json card = {
      {"name", std::filesystem::path(o.output).stem().string()},
      {"architecture", o.arch.empty() ? "imported:" + o.model : o.arch},
      {"preprocessing", opened.pre.to_json()},
      {"data", {{"train", o.data.spec}, {"test", td.spec}}},
      {"seed", o.cfg.seed},
      {"kbit", o.weight_bits != 32 || o.act_bits != 32
                   ? nlohmann::json{{"weight_bits", o.weight_bits}, {"act_bits", o.act_bits}, {"width", o.width},
                                    {"quantisers", "weights: Sign / Round(Clip(w, -1, 1)) of latent floats, folded at export; "
                                                   "activations: Sign / Round(Clip(x, -1, 1)) after BatchNorm; "
                                                   "straight-through gradients (hardtanh for Sign)"}}
                   : nlohmann::json(nullptr)},
      {"epochs", o.cfg.epochs},
      {"training", {{"batch", o.cfg.batch}, {"lr", o.cfg.lr}, {"momentum", o.cfg.momentum},
                    {"weight_decay", o.cfg.weight_decay}, {"flip", o.cfg.flip}, {"crop_pad", o.cfg.crop_pad},
                    {"clip_grad_norm", o.cfg.clip_norm},
                    {"schedule", "cosine"}, {"optimizer", o.cfg.adam ? "Adam (0.9, 0.999)" : "SGD, Nesterov momentum"}, {"history", epochs}}},
      {"command", o.command},
      {"test_accuracy", {{"top1", acc.top1()}, {"top5", acc.top5()}, {"images", acc.images}, {"top1_correct", acc.top1_correct}}},
      {"export_max_abs_diff", diff},
      {"int8_test_accuracy", int8},
      {"fault_aware_training", fat ? nlohmann::json{{"faults_per_inference", o.fat}, {"modules", fat_modules.name()},
                                                    {"scales", "EMA of batch max |x| / 127, momentum 0.9"},
                                                    {"gradients", "straight-through: round passes the gradient, clamp only inside the int8 range"},
                                                    {"not_faulted", "the layer producing the logits"}}
                                   : nlohmann::json(nullptr)},
      {"cnnfi_version", CNNFI_VERSION},
      {"threads", at::get_num_threads()},
      {"train_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count()}};
  const std::string card_file = data::card_path(o.output);
  write_file_atomic(card_file, card.dump(2) + "\n");
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
  sub->add_option("--clip-grad", o->cfg.clip_norm, "rescale gradients to this global L2 norm at most (0: off)");
  sub->add_option("-o,--output", o->output, "output ONNX file")->required();
  sub->add_option("--fat", o->fat, "fault-aware training (seed 003): faults per inference during training (0: "
                                   "quantisation-aware only)");
  sub->add_option("--fat-modules", o->fat_modules, "modules faulted during fault-aware training (default i8,w8,o8)");
  sub->add_flag("--adam", o->cfg.adam, "Adam instead of SGD with Nesterov momentum (k-bit networks: use with --lr 0.005)");
  sub->add_option("--weight-bits", o->weight_bits, "cnv: 1 (binary) or 2 (-1/0/+1) bit weights (default 32: float)");
  sub->add_option("--act-bits", o->act_bits, "cnv: 1 or 2 bit activations instead of ReLU (default 32: float)");
  sub->add_option("--width", o->width, "cnv: channel multiplier (default 1; 0.5 halves every layer)");
  sub->add_option("--calibration-images", o->calibration_images,
                  "first training images that set the integer scales (default 500)");
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
