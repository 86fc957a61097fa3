// cnnfi info: what cnnfi sees in a model: inputs, outputs, nodes, weights; with --quantized, the
// integer layers (seed 003) and the vulnerable bits of each module in one forward pass, with the
// fault rate of N faults per inference (eq. 3.1); with --format / --layout, each weight tensor's
// stored bits and the memory words they are packed into (seed 002, fault/layout.h).
#include <cstdio>
#include <set>

#include "cli/commands.h"
#include "cli/common.h"
#include "data/card.h"
#include "data/spec.h"
#include "exec/executor.h"
#include "fault/injector.h"
#include "fault/layout.h"
#include "fault/population.h"
#include "onnx/import.h"
#include "ops/op.h"
#include "quant/model.h"
#include "quant/qdq_import.h"
#include "repr/format.h"
#include "util/error.h"

namespace cnnfi::cli {

namespace {

struct InfoOptions {
  std::string model, calibration = "fashion-mnist:train";
  bool quantized = false;
  int64_t calibration_images = 100, faults = 1;
  std::string weights = "channel";
  std::string format, layout;
  data::PreprocessFlags pre;
};

/// Each injectable tensor's elements, bits and memory words in a format and a layout.
void print_memory(const InfoOptions& o, exec::Executor& ex, const std::string& format_name) {
  const auto& format = repr::find_format(format_name);
  const fault::Layout layout = fault::Layout::parse(o.layout.empty() ? "element" : o.layout);
  fault::WeightInjector inj(ex, format);
  inj.set_layout(layout);
  // Which tensors are a weighted layer's weight (the rest are biases).
  std::set<std::string> weights;
  const auto& g = ex.graph();
  for (const auto& n : g.nodes)
    if (const auto* e = ops::find_op_entry(n.op_type); e && e->weight_input >= 0 && static_cast<size_t>(e->weight_input) < n.inputs.size())
      weights.insert(g.values[static_cast<size_t>(n.inputs[static_cast<size_t>(e->weight_input)])].name);
  std::printf("\nweight memory in %s (%d bits per element), layout %s:\n", format.name().c_str(), format.width(),
              layout.describe().c_str());
  std::printf("%-28s %7s %12s %14s %12s %6s %8s\n", "tensor", "role", "elements", "bits", "words", "word", "memories");
  int64_t bits[2] = {0, 0}, words[2] = {0, 0};
  for (const auto& p : inj.params()) {
    const auto pt = inj.packing(p);
    const bool w = weights.count(p) > 0;
    std::printf("%-28s %7s %12lld %14lld %12lld %6d %8lld\n", p.c_str(), w ? "weight" : "bias", static_cast<long long>(pt.numel()),
                static_cast<long long>(pt.data_bits()), static_cast<long long>(pt.words()), pt.word_bits(),
                static_cast<long long>(pt.memories()));
    bits[w ? 0 : 1] += pt.data_bits();
    words[w ? 0 : 1] += pt.words();
  }
  std::printf("weights: %lld bits in %lld words; biases: %lld bits in %lld words\n", static_cast<long long>(bits[0]),
              static_cast<long long>(words[0]), static_cast<long long>(bits[1]), static_cast<long long>(words[1]));
}

void print_quantized(const InfoOptions& o, exec::Executor& ex, bool qdq) {
  if (o.weights != "channel" && o.weights != "tensor") fail("--weights '{}': channel or tensor", o.weights);
  if (o.calibration_images < 1) fail("--calibration-images {}: at least 1", o.calibration_images);
  if (o.faults < 0) fail("--faults {}: must be >= 0", o.faults);
  quant::QuantConfig cfg;
  cfg.per_channel = o.weights == "channel";
  quant::QuantizedModel q(ex, cfg);
  const auto resolved = preprocessing(o.pre, o.model);
  const auto& pre = resolved.pre;
  data::DataSelection sel;
  sel.limit = o.calibration_images;
  auto calib = data::open_spec(o.calibration, sel, pre.resize_h, pre.resize_w);
  q.calibrate(*calib, pre, 128);
  std::printf("\nquantised layers (int8 weights per %s, calibrated on %lld images of %s, preprocessing %s); vulnerable "
              "bits of one forward pass (one image):\n",
              o.weights.c_str(), static_cast<long long>(calib->size()), calib->describe().c_str(),
              resolved.describe().c_str());
  if (qdq)
    std::printf("(a QDQ model: its own int8 weights, int32 biases and scales, not a calibration of cnnfi's; the "
                "calibration images only run the layers once)\n");
  std::printf("%-28s %8s %8s %12s %10s %10s %12s %12s %12s\n", "layer", "s_in", "s_out", "i8", "w8", "b32", "o32", "o8", "total");
  int64_t sums[quant::kModules] = {};
  for (const auto& l : q.layers()) {
    int64_t total = 0;
    std::printf("%-28s %8.4g %8.4g", l.name.c_str(), l.s_in, l.s_out);
    for (auto m : quant::kAllModules) {
      std::printf(" %*lld", m == quant::Module::i8 || m == quant::Module::o32 || m == quant::Module::o8 ? 12 : 10,
                  static_cast<long long>(l.bits(m)));
      sums[static_cast<size_t>(m)] += l.bits(m);
      total += l.bits(m);
    }
    std::printf(" %12lld%s\n", static_cast<long long>(total), l.folded_bn >= 0 ? "  (BatchNorm folded)" : "");
  }
  const int64_t all = q.vulnerable_bits(quant::ModuleSet::all());
  std::printf("%-46s", "total");
  for (auto m : quant::kAllModules)
    std::printf(" %*lld", m == quant::Module::i8 || m == quant::Module::o32 || m == quant::Module::o8 ? 12 : 10,
                static_cast<long long>(sums[static_cast<size_t>(m)]));
  std::printf(" %12lld\n", static_cast<long long>(all));
  std::printf("fault rate of %lld fault(s) per inference (eq. 3.1): all modules %.4g", static_cast<long long>(o.faults),
              all ? static_cast<double>(o.faults) / all : 0.0);
  for (auto m : quant::kAllModules)
    if (sums[static_cast<size_t>(m)])
      std::printf(", %s alone %.4g", quant::to_string(m).c_str(), static_cast<double>(o.faults) / sums[static_cast<size_t>(m)]);
  std::printf("\n");
}

}  // namespace

void setup_info(CLI::App& app) {
  auto o = std::make_shared<InfoOptions>();
  auto* sub = app.add_subcommand("info", "list a model's inputs, outputs, nodes and weights");
  sub->add_option("model", o->model, "ONNX model")->required();
  sub->add_flag("--quantized", o->quantized, "also the integer layers and their modules' vulnerable bits (seed 003)");
  sub->add_option("--calibration", o->calibration, "calibration data spec (default fashion-mnist:train)");
  sub->add_option("--calibration-images", o->calibration_images, "calibration images (default 100)");
  sub->add_option("--weights", o->weights, "w8 scales: channel (default) | tensor");
  sub->add_option("--faults", o->faults, "faults per inference for the fault rate (default 1)");
  add_preprocess_options(*sub, o->pre);
  sub->add_option("--format", o->format, "also each weight tensor's stored bits in this number format (e.g. binary, int2)");
  sub->add_option("--layout", o->layout, "and the memory words they are packed into: dense, dense:W or finn:PE,SIMD");
  sub->callback([o] {
    auto g = onnx_io::load_model(o->model);
    std::printf("model %s (opset %d): %zu nodes after constant folding, %zu weight tensors\n", o->model.c_str(),
                g->opset, g->nodes.size(), g->weights.size());
    {
      exec::Executor ex(g);
      const fault::WeightInjector inj(ex, repr::find_format("fp32"));
      std::printf("parameters: %s\n", fault::parameter_counts(inj, ex).describe().c_str());
    }
    for (size_t i = 0; i < g->nodes.size(); ++i) std::printf("  %3zu %s\n", i, g->nodes[i].describe().c_str());
    for (int v : g->weights) {
      std::printf("  weight %s %s", g->values[v].name.c_str(), c10::str(g->tensors.at(v).sizes()).c_str());
      if (const auto it = g->storage.find(v); it != g->storage.end())
        std::printf(": %s codes (node '%s' quantises initializer '%s')", it->second.describe().c_str(),
                    it->second.quantiser.c_str(), it->second.source.c_str());
      std::printf("\n");
    }
    if (!o->format.empty() || !o->layout.empty() || !g->storage.empty()) {
      exec::Executor ex(g);
      if (o->format.empty() && !g->storage.empty()) {
        // The model's own storage, one table per kind of word it stores.
        std::set<std::string> kinds;
        for (const auto& [v, st] : g->storage) kinds.insert("model:" + st.describe());
        for (const auto& k : kinds) print_memory(*o, ex, k);
      } else {
        print_memory(*o, ex, fault::resolve_format(o->format, *g));
      }
    }
    if (o->quantized) {
      const bool qdq = quant::has_qdq_layers(*g->model);
      exec::Executor ex(qdq ? quant::load_for_integer(o->model) : g);
      print_quantized(*o, ex, qdq);
    }
  });
}

}  // namespace cnnfi::cli
