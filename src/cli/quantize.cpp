// cnnfi quantize: calibrate a float model's integer execution (seed 003) and write it as a QDQ
// ONNX model (QuantizeLinear/DequantizeLinear around every quantised layer, int8 weights, int32
// biases), then check the written model: cnnfi re-imports it and compares its predictions with the
// integer model on test images.
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/common.h"
#include "data/card.h"
#include "data/loader.h"
#include "data/spec.h"
#include "eval/evaluate.h"
#include "eval/metrics.h"
#include "onnx/builder.h"
#include "onnx/import.h"
#include "quant/qdq.h"
#include "util/error.h"
#include "util/file.h"

namespace cnnfi::cli {

namespace {

/// The share of test images on which the written QDQ model must predict as the integer model.
constexpr double kMinAgreement = 0.99;

struct QuantizeOptions {
  std::string model, output, calibration = "fashion-mnist:train", test = "fashion-mnist:test", weights = "channel";
  int64_t calibration_images = 500, check_images = 1000;
  data::PreprocessFlags pre;
};

void run_quantize(const QuantizeOptions& o) {
  auto inputs = model_inputs(o.model);
  for (const auto& spec : {o.calibration, o.test})
    for (const auto& f : data::spec_files(spec)) inputs.push_back(f);
  refuse_overwrite(o.output, inputs, "-o");
  refuse_overwrite(data::card_path(o.output), inputs, "-o (its model card)");
  if (o.weights != "channel" && o.weights != "tensor") fail("--weights '{}': channel or tensor", o.weights);
  if (o.calibration_images < 1 || o.check_images < 1) fail("--calibration-images and --check-images must be >= 1");
  exec::Executor ex(onnx_io::load_model(o.model));
  quant::QuantConfig cfg;
  cfg.per_channel = o.weights == "channel";
  quant::QuantizedModel q(ex, cfg);
  if (q.layers().empty()) fail("{}: no Conv, Gemm or MatMul with a weight initializer to quantise", o.model);
  const auto resolved = preprocessing(o.pre, o.model);
  const auto& pre = resolved.pre;
  data::DataSelection cs, ts;
  cs.limit = o.calibration_images;
  ts.limit = o.check_images;
  auto calib = data::open_spec(o.calibration, cs, pre.resize_h, pre.resize_w);
  q.calibrate(*calib, pre, 250);
  auto qdq_model = quant::export_qdq(q, ex);
  // The QDQ model runs on the same preprocessing as its float model, and says so itself.
  onnx_io::set_metadata(qdq_model, data::kPreprocessKey, pre.to_json().dump());
  onnx_io::save_model(qdq_model, o.output);
  // Check: the written model runs in cnnfi and predicts as the integer model does.
  exec::Executor qdq(onnx_io::load_model(o.output));
  auto test = data::open_spec(o.test, ts, pre.resize_h, pre.resize_w);
  data::Loader loader(*test, pre, 250);
  int64_t images = 0, same = 0, correct_int = 0, correct_qdq = 0;
  for (data::Batch b; loader.next(b);) {
    const at::Tensor a = eval::top1(ex.forward(b.images)), c = eval::top1(qdq.forward(b.images));
    images += b.labels.size(0);
    same += (a == c).sum().item<int64_t>();
    correct_int += (a == b.labels).sum().item<int64_t>();
    correct_qdq += (c == b.labels).sum().item<int64_t>();
  }
  const double agree = static_cast<double>(same) / static_cast<double>(std::max<int64_t>(images, 1));
  if (images == 0 || agree < kMinAgreement) {
    std::error_code ec;
    std::filesystem::remove(o.output, ec);
    fail("{}: the written QDQ model predicts as the integer model on only {:.2f} % of {} images of {} (at least {} % "
         "needed); nothing is kept",
         o.output, 100.0 * agree, images, o.test, 100.0 * kMinAgreement);
  }
  std::printf("%s: %zu quantised layers, QDQ model written; on %lld test images: integer model top-1 %.4f, QDQ model "
              "top-1 %.4f, same prediction on %.2f %%\n",
              o.output.c_str(), q.layers().size(), static_cast<long long>(images),
              static_cast<double>(correct_int) / images, static_cast<double>(correct_qdq) / images,
              100.0 * same / images);
  // A card beside the QDQ model, as `cnnfi train` writes one: what it was made from and how.
  nlohmann::json card = {
      {"name", std::filesystem::path(o.output).stem().string()},
      {"architecture", "QDQ of " + o.model},
      {"preprocessing", pre.to_json()},
      {"preprocessing_source", resolved.describe()},
      {"data", {{"calibration", o.calibration}, {"test", o.test}}},
      {"quantization", {{"weights", o.weights == "channel" ? "int8 per output channel" : "int8 per tensor"},
                        {"activations", "int8 per tensor, symmetric, zero point 0"},
                        {"bias", "int32"},
                        {"calibration_images", calib->size()}}},
      {"test_accuracy", {{"top1", static_cast<double>(correct_qdq) / images}, {"images", images}}},
      {"integer_model_top1", static_cast<double>(correct_int) / images},
      {"same_prediction_as_integer_model", agree},
      {"command", fmt::format("cnnfi quantize --model {} -o {} --calibration {} --calibration-images {} --weights {}",
                              o.model, o.output, o.calibration, o.calibration_images, o.weights)},
      {"cnnfi_version", CNNFI_VERSION}};
  const std::string card_file = data::card_path(o.output);
  write_file_atomic(card_file, card.dump(2) + "\n");
  std::fprintf(stderr, "wrote %s and %s\n", o.output.c_str(), card_file.c_str());
}

}  // namespace

void setup_quantize(CLI::App& app) {
  auto o = std::make_shared<QuantizeOptions>();
  auto* sub = app.add_subcommand("quantize", "calibrate a model's integer execution and write it as a QDQ ONNX model");
  sub->add_option("--model", o->model, "float ONNX model")->required();
  sub->add_option("-o,--output", o->output, "the QDQ ONNX model to write")->required();
  sub->add_option("--calibration", o->calibration, "calibration data spec (default fashion-mnist:train)");
  sub->add_option("--calibration-images", o->calibration_images, "calibration images (default 500)");
  sub->add_option("--weights", o->weights, "w8 scales: channel (default) | tensor");
  sub->add_option("--test", o->test, "data the check compares predictions on (default fashion-mnist:test)");
  sub->add_option("--check-images", o->check_images, "images of the check (default 1000)");
  add_preprocess_options(*sub, o->pre);
  sub->callback([o] { run_quantize(*o); });
}

}  // namespace cnnfi::cli
