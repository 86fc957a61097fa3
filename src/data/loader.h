// Batches of preprocessed images from a source, in record order. Holds one batch at a time.
#pragma once
#include <ATen/core/Tensor.h>

#include "data/preprocess.h"
#include "data/source.h"

namespace cnnfi::data {

struct Batch {
  int64_t start = 0;   ///< index of the first record
  at::Tensor images;   ///< float (N,C,H,W), preprocessed
  at::Tensor labels;   ///< int64 (N)
};

class Loader {
 public:
  Loader(Source& source, Preprocess pre, int64_t batch_size);
  /// Fills `out` with the next batch; false at the end.
  bool next(Batch& out);
  /// The batch of records [start, start + count).
  Batch read(int64_t start, int64_t count);
  void rewind() { pos_ = 0; }
  int64_t size() const { return source_.size(); }

 private:
  Source& source_;
  Preprocess pre_;
  int64_t batch_;
  int64_t pos_ = 0;
};

}  // namespace cnnfi::data
