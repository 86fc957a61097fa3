// cnnfi eval: top-1/top-5 accuracy and throughput of an ONNX model on a data set.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/common.h"
#include "data/loader.h"
#include "eval/evaluate.h"
#include "exec/executor.h"
#include "onnx/import.h"

namespace cnnfi::cli {

namespace {

struct EvalOptions {
  std::string model;
  DataOptions data;
  int threads = 0;
  bool json = false;
};

void run_eval(const EvalOptions& o) {
  set_threads(o.threads);
  auto graph = onnx_io::load_model(o.model);
  exec::Executor exec(graph);
  auto opened = open_data(o.data, o.model);
  data::Loader loader(*opened.source, opened.pre, o.data.batch);
  const eval::Accuracy acc = eval::evaluate(exec, loader, "eval");
  if (o.json) {
    nlohmann::json j = {{"model", o.model},       {"data", opened.source->describe()},
                        {"images", acc.images},   {"top1", acc.top1()},
                        {"top5", acc.top5()},     {"top1_correct", acc.top1_correct},
                        {"top5_correct", acc.top5_correct}, {"seconds", acc.seconds},
                        {"images_per_s", acc.images_per_s()}, {"preprocessing", opened.pre.to_json()},
                        {"preprocessing_source", opened.resolved.none() ? "none" : opened.resolved.describe()}};
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("model   %s\ndata    %s\npre     %s\nimages  %lld\ntop-1   %.4f (%lld correct)\ntop-5   %.4f\nspeed   %.1f images/s\n",
              o.model.c_str(), opened.source->describe().c_str(), opened.resolved.describe().c_str(),
              static_cast<long long>(acc.images), acc.top1(),
              static_cast<long long>(acc.top1_correct), acc.top5(), acc.images_per_s());
}

}  // namespace

void setup_eval(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  auto* sub = app.add_subcommand("eval", "top-1/top-5 accuracy and images/s of a model on a data set");
  sub->add_option("--model", o->model, "ONNX model")->required();
  add_data_options(*sub, o->data);
  sub->add_option("--threads", o->threads, "threads (default: all cores)");
  sub->add_flag("--json", o->json, "print one JSON object");
  sub->callback([o] { run_eval(*o); });
}

}  // namespace cnnfi::cli
