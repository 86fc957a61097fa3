// Options shared by several subcommands: data, preprocessing, threads.
#pragma once
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

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
/// Opens the data, resolving preprocessing from the flags and the model card of `model_path`.
struct OpenedData {
  std::unique_ptr<data::Source> source;
  data::Preprocess pre;
};
OpenedData open_data(const DataOptions& o, const std::string& model_path);

/// Sets libtorch's intra-op threads and OpenBLAS's threads (0 = all cores).
void set_threads(int threads);
int default_threads();

}  // namespace cnnfi::cli
