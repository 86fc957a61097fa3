// cnnfi faults: generate a weight fault list (CSV) from a seed and a spec.
#include <cstdio>

#include "cli/commands.h"
#include "cli/common.h"
#include "exec/executor.h"
#include "fault/generate.h"
#include "onnx/import.h"
#include "repr/format.h"
#include "util/file.h"

namespace cnnfi::cli {

namespace {

struct FaultsOptions {
  std::string model, format, output, fault_model = "flip", layers = "all";
  fault::GenerateSpec spec;
  uint64_t seed = 1;
};

void run_faults(FaultsOptions o) {
  refuse_overwrite(o.output, model_inputs(o.model), "-o");
  exec::Executor exec(onnx_io::load_model(o.model));
  fault::WeightInjector inj(exec, repr::find_format(fault::resolve_format(o.format, exec.graph())));
  o.spec.model = fault::parse_fault_model(o.fault_model, &o.spec.burst);
  o.spec.layers = fault::LayerSelection::parse(o.layers);
  fault::Rng rng(o.seed);
  const auto faults = fault::generate(inj, o.spec, rng);
  fault::write_fault_csv(o.output, faults);
  std::fprintf(stderr, "wrote %zu faults to %s\n", faults.size(), o.output.c_str());
}

}  // namespace

void setup_faults(CLI::App& app) {
  auto o = std::make_shared<FaultsOptions>();
  auto* sub = app.add_subcommand("faults", "generate a weight fault list (CSV: fault_id,param,flat_index,bit,model,group)");
  sub->add_option("--model", o->model, "ONNX model")->required();
  sub->add_option("--format", o->format, "number format the weights are stored in: fp32, fp16, bf16, q8, q16, int8, int8-channel");
  sub->add_option("--layers", o->layers, "all | NAME[,NAME] | re:REGEX (ONNX initializer names)");
  sub->add_option("--bits", o->spec.bits, "all | list | range A-B | field (sign, exponent, exponent-msb, mantissa, integer, fraction, magnitude)");
  sub->add_option("--count", o->spec.total, "total faults, uniform over the selected bits of the selected memory");
  sub->add_option("--per-bit", o->spec.per_bit, "faults at each selected bit position");
  sub->add_option("--rate", o->spec.rate, "faults per layer = rate x elements (at least 1)");
  sub->add_option("--fault-model", o->fault_model, "flip | burst8 | burstK | sa0 | sa1");
  sub->add_option("--seed", o->seed, "random seed");
  sub->add_option("-o,--output", o->output, "output CSV")->required();
  sub->callback([o] { run_faults(*o); });
}

}  // namespace cnnfi::cli
