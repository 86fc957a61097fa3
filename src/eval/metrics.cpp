#include "eval/metrics.h"

#include <limits>

#include <ATen/ATen.h>

#include "util/error.h"

namespace cnnfi::eval {

namespace {

at::Tensor nan_to_lowest(const at::Tensor& logits) {
  const at::Tensor x = logits.to(at::kFloat);
  return at::where(at::isnan(x), at::full({}, -std::numeric_limits<float>::infinity()), x);
}

}  // namespace

at::Tensor top1(const at::Tensor& logits) {
  const at::Tensor x = logits.to(at::kFloat);
  const at::Tensor clean = nan_to_lowest(x);
  // argmax returns the first maximal index; an all-NaN row (or all -inf after the
  // replacement where the original had NaN everywhere) gets -1.
  at::Tensor idx = clean.argmax(1);
  const at::Tensor all_nan = at::isnan(x).all(1);
  return at::where(all_nan, at::full({}, -1, at::kLong), idx);
}

at::Tensor top_classes(const at::Tensor& logits, int64_t k) {
  const at::Tensor clean = nan_to_lowest(logits);
  k = std::min<int64_t>(k, clean.size(1));
  // Stable descending sort keeps the lower index first among ties.
  const at::Tensor order = std::get<1>(clean.sort(/*stable=*/true, /*dim=*/1, /*descending=*/true));
  return order.narrow(1, 0, k);
}

at::Tensor in_topk(const at::Tensor& logits, const at::Tensor& labels, int64_t k) {
  const at::Tensor hit = (top_classes(logits, k) == labels.reshape({-1, 1})).any(1);
  return hit & at::isnan(logits.to(at::kFloat)).all(1).logical_not();
}

void check_labels(const at::Tensor& logits, const at::Tensor& labels, int64_t first_image, const std::string& model) {
  if (logits.dim() != 2)
    fail("{}: the model's output has shape {}, expected (batch, classes)", model, c10::str(logits.sizes()));
  const int64_t classes = logits.size(1);
  if (labels.numel() == 0) return;
  const at::Tensor bad = (labels < 0).logical_or(labels >= classes);
  if (bad.any().item<bool>()) {
    const int64_t i = bad.nonzero()[0][0].item<int64_t>();
    fail("label {} of image {} is out of range for {}, a model with {} classes", labels[i].item<int64_t>(),
         first_image + i, model, classes);
  }
}

}  // namespace cnnfi::eval
