// cnnfi info: what cnnfi sees in a model: inputs, outputs, nodes, weights.
#include <cstdio>

#include "cli/commands.h"
#include "exec/executor.h"
#include "onnx/import.h"

namespace cnnfi::cli {

void setup_info(CLI::App& app) {
  auto model = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("info", "list a model's inputs, outputs, nodes and weights");
  sub->add_option("model", *model, "ONNX model")->required();
  sub->callback([model] {
    auto g = onnx_io::load_model(*model);
    std::printf("model %s (opset %d): %zu nodes after constant folding, %zu weight tensors\n", model->c_str(),
                g->opset, g->nodes.size(), g->weights.size());
    int64_t params = 0;
    for (int v : g->weights) params += g->tensors.at(v).numel();
    std::printf("parameters %lld\n", static_cast<long long>(params));
    for (size_t i = 0; i < g->nodes.size(); ++i) std::printf("  %3zu %s\n", i, g->nodes[i].describe().c_str());
    for (int v : g->weights)
      std::printf("  weight %s %s\n", g->values[v].name.c_str(), c10::str(g->tensors.at(v).sizes()).c_str());
  });
}

}  // namespace cnnfi::cli
