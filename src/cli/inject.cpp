// cnnfi inject: replay a weight fault list over a data set, one outcome row per fault (or group):
//   fault_id,group,critical,tolerable,masked,due,misclassified   (counts of images)
// with a sidecar <output>.json holding the golden accuracy, model, data, format and policy.
#include <chrono>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "campaign/evaluator.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "fault/injector.h"
#include "onnx/import.h"
#include "repr/format.h"
#include "util/error.h"
#include "util/file.h"
#include "util/progress.h"

namespace cnnfi::cli {

namespace {

struct InjectOptions {
  std::string model, faults, output, format, nonfinite = "due", layout;
  DataOptions data;
  int threads = 0;
  bool brute = false, allow_repeat = false;
};

void run_inject(InjectOptions o) {
  set_threads(o.threads);
  const auto policy = campaign::parse_nonfinite(o.nonfinite);
  auto inputs = model_inputs(o.model);
  inputs.push_back(o.faults);
  for (const auto& f : data::spec_files(o.data.spec)) inputs.push_back(f);
  refuse_overwrite(o.output, inputs, "-o");
  refuse_overwrite(o.output + ".json", inputs, "-o (its .json sidecar)");
  exec::Executor exec(onnx_io::load_model(o.model));
  o.format = fault::resolve_format(o.format, exec.graph());
  const auto& format = repr::find_format(o.format);
  fault::WeightInjector inj(exec, format);
  if (!o.layout.empty()) {
    try {
      inj.set_layout(fault::Layout::parse(o.layout));
    } catch (const Error& e) {
      fail("--layout: {}", e.what());
    }
  }
  auto opened = open_data(o.data, o.model);
  auto faults = fault::read_fault_csv(o.faults);
  fault::resolve_word_addresses(faults, inj, o.faults);
  const auto trials = fault::group_faults(faults);
  fault::refuse_repeats(trials, o.faults, o.allow_repeat);
  campaign::EvaluatorOptions eo;
  eo.batch = o.data.batch;
  eo.resume = !o.brute;
  campaign::FaultEvaluator ev(exec, inj, *opened.source, opened.pre, eo);
  const auto golden = campaign::count(ev.golden_facts(), policy);
  const auto t0 = std::chrono::steady_clock::now();
  // Chunks keep the progress bar moving; results are identical to one call.
  std::ofstream out(o.output);
  if (!out) fail("{}: cannot write", o.output);
  out << "fault_id,group,critical,tolerable,masked,due,misclassified\n";
  Progress progress("inject", static_cast<int64_t>(trials.size()), "faults");
  const size_t chunk = 64;
  for (size_t s = 0; s < trials.size(); s += chunk) {
    const std::vector<std::vector<fault::WeightFault>> part(trials.begin() + s,
                                                            trials.begin() + std::min(trials.size(), s + chunk));
    const auto results = ev.run(part);
    for (size_t i = 0; i < part.size(); ++i) {
      const auto c = campaign::count(results[i].facts, policy);
      out << part[i][0].id << ',' << (part[i][0].group >= 0 ? std::to_string(part[i][0].group) : "") << ','
          << c.critical << ',' << c.tolerable << ',' << c.masked << ',' << c.due << ',' << c.misclassified << '\n';
    }
    progress.update(static_cast<int64_t>(s + part.size()));
  }
  progress.finish();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json side = {{"model", o.model},
                         {"data", opened.source->describe()},
                         {"images", golden.images},
                         {"golden_top1", golden.images ? 1.0 - static_cast<double>(golden.misclassified) / golden.images : 0},
                         {"golden_top1_correct", golden.images - golden.misclassified},
                         {"format", o.format},
                         {"nonfinite", o.nonfinite},
                         {"faults", faults.size()},
                         {"trials", trials.size()},
                         {"seconds", secs},
                         {"fault_image_evaluations_per_s", secs > 0 ? trials.size() * golden.images / secs : 0},
                         {"preprocessing", opened.pre.to_json()}};
  write_file_atomic(o.output + ".json", side.dump(2) + "\n");
  std::fprintf(stderr, "%zu trials x %lld images in %.1fs; golden top-1 %.4f; wrote %s and %s.json\n", trials.size(),
               static_cast<long long>(golden.images), secs, side["golden_top1"].get<double>(), o.output.c_str(),
               o.output.c_str());
}

}  // namespace

void setup_inject(CLI::App& app) {
  auto o = std::make_shared<InjectOptions>();
  auto* sub = app.add_subcommand("inject", "replay a weight fault list and count outcomes per fault");
  sub->add_option("--model", o->model, "ONNX model")->required();
  add_data_options(*sub, o->data);
  sub->add_option("--faults", o->faults, "fault list CSV (fault_id,param,flat_index,bit[,model][,group]; or word,lane[,memory] in place of flat_index,bit)")->required();
  sub->add_option("--format", o->format, "number format of the stored weights (default: the model's own integer storage when it has one, else fp32)");
  auto* layout = sub->add_option("--layout", o->layout, "packed weight memory: dense, dense:W or finn:PE,SIMD (bursts cover adjacent lanes of a word; word,lane rows address it)");
  sub->add_option("--nonfinite", o->nonfinite, "a NaN/Inf output counts as: due (default) | top1 (by its top-1, NaN never the max) | torch (by its top-1, NaN ranking highest as torch.topk)");
  sub->add_option("--threads", o->threads, "threads (default: all cores)");
  sub->add_flag("--allow-repeat", o->allow_repeat,
                "keep groups that hit one bit twice (the second flip undoes the first; refused by default)");
  sub->add_flag("--brute", o->brute, "full forward per fault (no golden-cache resume), for comparison");
  sub->add_option("-o,--output", o->output, "outcomes CSV")->required();
  sub->callback([o, layout] {
    if (layout->count() && o->layout.empty()) fail("--layout: empty; give dense, dense:W or finn:PE,SIMD, or leave it out");
    run_inject(*o);
  });
}

}  // namespace cnnfi::cli
