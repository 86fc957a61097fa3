// cnnfi convert: writes a model in another ONNX dialect. --to qonnx: a k-bit model as cnnfi trains
// it (cnnfi train --arch cnv --weight-bits 1|2) in the QONNX dialect FINN's flow reads
// (onnx/qonnx.h: to_qonnx), with the preprocessing it runs on in its metadata; the converted model
// must predict as the original on the check images before it is written.
#include <cstdio>

#include "cli/commands.h"
#include "cli/common.h"
#include "data/card.h"
#include "data/loader.h"
#include "data/spec.h"
#include "eval/metrics.h"
#include "exec/executor.h"
#include "onnx/builder.h"
#include "onnx/import.h"
#include "onnx/qonnx.h"
#include "util/error.h"
#include "util/file.h"

namespace cnnfi::cli {

namespace {

struct ConvertOptions {
  std::string model, output, to, test = "fashion-mnist:test";
  int64_t check_images = 1000;
  data::PreprocessFlags pre;
};

void run_convert(const ConvertOptions& o) {
  if (o.to != "qonnx") fail("--to '{}': the one target dialect is qonnx", o.to);
  auto inputs = model_inputs(o.model);
  for (const auto& f : data::spec_files(o.test)) inputs.push_back(f);
  refuse_overwrite(o.output, inputs, "-o");
  if (o.check_images < 0) fail("--check-images {}: must be >= 0", o.check_images);
  require_regular_output(o.output, "-o", "the converted model is an ONNX file");
  const std::string bytes = read_file(o.model);
  onnx_io::QonnxExport what;
  auto model = onnx_io::to_qonnx(onnx_io::parse_model(bytes, o.model), o.model, &what);
  const auto resolved = preprocessing(o.pre, o.model);
  onnx_io::set_metadata(model, data::kPreprocessKey, resolved.pre.to_json().dump());
  // Checked before anything is written: both run in cnnfi and predict the same class on every
  // check image, or no file is left behind.
  if (o.check_images > 0) {
    exec::Executor before(onnx_io::load_model_proto(onnx_io::parse_model(bytes, o.model), o.model)),
        after(onnx_io::load_model_proto(model, o.output));
    data::DataSelection sel;
    sel.limit = o.check_images;
    auto test = data::open_spec(o.test, sel, resolved.pre.resize_h, resolved.pre.resize_w);
    data::Loader loader(*test, resolved.pre, 250);
    int64_t images = 0, same = 0;
    for (data::Batch b; loader.next(b);) {
      images += b.labels.size(0);
      same += (eval::top1(before.forward(b.images)) == eval::top1(after.forward(b.images))).sum().item<int64_t>();
    }
    std::printf("check: the QONNX model predicts as %s on %lld of %lld images of %s\n", o.model.c_str(),
                static_cast<long long>(same), static_cast<long long>(images), test->describe().c_str());
    if (same != images)
      fail("{}: not written: the QONNX model predicts differently from {} on {} of {} images (a BatchNorm output "
           "exactly 0, where Sign gives 0 and BipolarQuant +1?)",
           o.output, o.model, images - same, images);
  }
  onnx_io::save_model(model, o.output);
  std::printf("wrote %s: %s\n", o.output.c_str(), what.describe().c_str());
}

}  // namespace

void setup_convert(CLI::App& app) {
  auto o = std::make_shared<ConvertOptions>();
  auto* sub = app.add_subcommand("convert", "write a model in another ONNX dialect (QONNX, for FINN)");
  sub->add_option("--model", o->model, "ONNX model (a k-bit model from cnnfi train --arch cnv)")->required();
  sub->add_option("--to", o->to, "target dialect: qonnx")->required();
  sub->add_option("-o,--output", o->output, "the model to write")->required();
  sub->add_option("--test", o->test, "data the check compares predictions on (default fashion-mnist:test)");
  sub->add_option("--check-images", o->check_images, "images of the check (default 1000; 0: no check)");
  add_preprocess_options(*sub, o->pre);
  sub->callback([o] { run_convert(*o); });
}

}  // namespace cnnfi::cli
