#include "data/loader.h"

#include <ATen/ATen.h>

#include "util/error.h"

namespace cnnfi::data {

Loader::Loader(Source& source, Preprocess pre, int64_t batch_size)
    : source_(source), pre_(std::move(pre)), batch_(batch_size) {
  if (batch_size <= 0) fail("batch size must be > 0, got {}", batch_size);
}

Batch Loader::read(int64_t start, int64_t count) {
  const ImageShape s = source_.shape();
  Batch b;
  b.start = start;
  at::Tensor raw = at::empty({count, s.channels, s.height, s.width}, at::kFloat);
  b.labels = at::empty({count}, at::kLong);
  source_.read(start, count, raw.data_ptr<float>(), b.labels.data_ptr<int64_t>());
  b.images = pre_.apply(raw);
  return b;
}

bool Loader::next(Batch& out) {
  if (pos_ >= source_.size()) return false;
  const int64_t n = std::min(batch_, source_.size() - pos_);
  out = read(pos_, n);
  pos_ += n;
  return true;
}

}  // namespace cnnfi::data
