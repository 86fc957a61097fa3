#include "cli/common.h"

#include <dlfcn.h>

#include <thread>

#include <ATen/Parallel.h>

#include "data/card.h"
#include "util/error.h"

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
  app.add_option("--mean", o.pre.mean, "per-channel mean M[,M,M] (overrides the model card)");
  app.add_option("--std", o.pre.std, "per-channel std S[,S,S] (overrides the model card)");
  app.add_option("--pad", o.pre.pad, "zero padding in pixels before normalisation");
  app.add_option("--resize", o.pre.resize, "resize to HxW (bilinear)");
  app.add_option("--channels", o.pre.channels, "convert to 1 (grey) or 3 (RGB) channels");
}

OpenedData open_data(const DataOptions& o, const std::string& model_path) {
  OpenedData out;
  out.pre = o.pre.resolve(model_path.empty() ? std::nullopt : data::card_preprocess(model_path));
  out.source = data::open_spec(o.spec, o.selection, out.pre.resize_h, out.pre.resize_w);
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
