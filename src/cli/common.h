// Options shared by several subcommands: data, preprocessing, threads.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "data/card.h"
#include "data/preprocess.h"
#include "data/source.h"
#include "data/spec.h"

namespace cnnfi::cli {

struct DataOptions {
  std::string spec;
  data::DataSelection selection;
  data::PreprocessFlags pre;
  int64_t batch = 256;
};

/// --data, --limit, --per-class, --batch and the preprocessing flags.
void add_data_options(CLI::App& app, DataOptions& o, bool data_required = true);
/// The preprocessing flags alone (--mean, --std, --pad, --resize, --channels), for commands that
/// read data through options of their own (info --quantized, quantize, run, harden --verify).
void add_preprocess_options(CLI::App& app, data::PreprocessFlags& f);
/// The preprocessing of `model_path` (flags over its card over its ONNX metadata), announced on
/// stderr (a warning when there is none).
data::ResolvedPreprocess preprocessing(const data::PreprocessFlags& f, const std::string& model_path);
/// Opens the data, resolving preprocessing as preprocessing() does.
struct OpenedData {
  std::unique_ptr<data::Source> source;
  data::Preprocess pre;
  data::ResolvedPreprocess resolved;
};
OpenedData open_data(const DataOptions& o, const std::string& model_path, bool announce = true);

/// The files behind a model: the ONNX file and its card.
std::vector<std::string> model_inputs(const std::string& model_path);
/// The stores and every file they were computed from (model, card, campaign file, data files),
/// for the output guard of commands that read stores: an output is never one of them. A store
/// that cannot be read adds only itself (opening it later says why).
std::vector<std::string> store_inputs(const std::vector<std::string>& stores);

/// Sets libtorch's intra-op threads and OpenBLAS's threads (0 = all cores).
void set_threads(int threads);
int default_threads();

}  // namespace cnnfi::cli
