#include "cli/common.h"

#include <dlfcn.h>

#include <thread>

#include <ATen/Parallel.h>

#include "store/store.h"
#include "util/error.h"
#include "util/file.h"

namespace cnnfi::cli {

void add_data_options(CLI::App& app, DataOptions& o, bool data_required) {
  auto* d = app.add_option("--data", o.spec,
                           "data spec: fashion-mnist:test|train, idx:IMAGES,LABELS, cifar10:FILE_OR_DIR, "
                           "cifar100:FILE_OR_DIR, npy:X.npy,Y.npy, folder:DIR");
  if (data_required) d->required();
  app.add_option("--limit", o.selection.limit, "use only the first N images")->check(CLI::NonNegativeNumber);
  app.add_option("--per-class", o.selection.per_class, "use the first K images of each class")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--batch", o.batch, "images per forward pass")->check(CLI::PositiveNumber);
  add_preprocess_options(app, o.pre);
}

void add_preprocess_options(CLI::App& app, data::PreprocessFlags& f) {
  app.add_option("--mean", f.mean, "per-channel mean M[,M,M] (overrides the model card and ONNX metadata)");
  app.add_option("--std", f.std, "per-channel std S[,S,S] (overrides the model card and ONNX metadata)");
  app.add_option("--pad", f.pad, "zero padding in pixels before normalisation");
  app.add_option("--resize", f.resize, "resize to HxW (bilinear)");
  app.add_option("--channels", f.channels, "convert to 1 (grey) or 3 (RGB) channels");
}

data::ResolvedPreprocess preprocessing(const data::PreprocessFlags& f, const std::string& model_path) {
  auto r = data::resolve_preprocess(model_path, f);
  data::announce(r, model_path.empty() ? "the model" : model_path);
  return r;
}

OpenedData open_data(const DataOptions& o, const std::string& model_path, bool announce) {
  OpenedData out;
  out.resolved = announce ? preprocessing(o.pre, model_path) : data::resolve_preprocess(model_path, o.pre);
  out.pre = out.resolved.pre;
  out.source = data::open_spec(o.spec, o.selection, out.pre.resize_h, out.pre.resize_w);
  return out;
}

std::vector<std::string> model_inputs(const std::string& model_path) {
  return {model_path, data::card_path(model_path)};
}

std::vector<std::string> store_inputs(const std::vector<std::string>& stores) {
  std::vector<std::string> out;
  for (const auto& path : stores) {
    out.push_back(path);
    try {
      if (!file_exists(path)) continue;
      store::Store st(path, store::OpenMode::read);
      const auto m = st.meta();
      for (const auto& f : model_inputs(m.model)) out.push_back(f);
      out.push_back(m.config_file);
      for (const auto& f : data::spec_files(m.data)) out.push_back(f);
    } catch (const Error&) {
    }
  }
  return out;
}

int default_threads() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

void set_threads(int threads) {
  const int most = 4 * default_threads();
  if (threads < 0 || threads > most)
    fail("--threads {}: this machine has {} cores; use 1 to {} (0 = all cores)", threads, default_threads(), most);
  if (threads == 0) threads = default_threads();
  at::set_num_threads(threads);
  // OpenBLAS (libtorch's fully connected layers) has its own pool; find it at run time so that
  // cnnfi does not need to link OpenBLAS directly.
  using SetFn = void (*)(int);
  if (auto* fn = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) fn(threads);
}

}  // namespace cnnfi::cli
