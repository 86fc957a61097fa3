#include "eval/evaluate.h"

#include <chrono>

#include <ATen/ATen.h>

#include "eval/metrics.h"
#include "util/error.h"
#include "util/progress.h"

namespace cnnfi::eval {

Accuracy evaluate(const exec::Executor& exec, data::Loader& loader, const std::string& progress_label) {
  Accuracy acc;
  Progress progress(progress_label.empty() ? "eval" : progress_label, progress_label.empty() ? 0 : loader.size(), "images");
  loader.rewind();
  data::Batch b;
  const auto t0 = std::chrono::steady_clock::now();
  while (loader.next(b)) {
    const at::Tensor logits = exec.forward(b.images);
    check_labels(logits, b.labels, b.start, exec.graph().file);
    acc.top1_correct += (top1(logits) == b.labels).sum().item<int64_t>();
    acc.top5_correct += in_topk(logits, b.labels, 5).sum().item<int64_t>();
    acc.images += b.labels.size(0);
    progress.update(acc.images);
  }
  acc.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return acc;
}

}  // namespace cnnfi::eval
