// Data readers: the first byte picks IDX, NumPy or CIFAR; the next two give where the input is
// split into the images file and the labels file (CIFAR takes one file). Every record is read.
#include <algorithm>
#include <vector>

#include "data/source.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const int kind = data[0] % 3;
  const size_t cut = std::min<size_t>(size - 3, (size_t{data[1]} << 8 | data[2]));
  const cnnfi::fuzz::TempFile a(data + 3, cut, kind == 1 ? ".npy" : ".bin");
  const cnnfi::fuzz::TempFile b(data + 3 + cut, size - 3 - cut, kind == 1 ? ".npy" : ".bin");
  cnnfi::fuzz::expect_clean([&] {
    auto src = kind == 0   ? cnnfi::data::open_idx(a.path(), b.path())
               : kind == 1 ? cnnfi::data::open_npy(a.path(), b.path())
                           : cnnfi::data::open_cifar(a.path(), 10);
    const int64_t n = std::min<int64_t>(src->size(), 64);
    std::vector<float> px(static_cast<size_t>(std::max<int64_t>(n, 1) * src->shape().pixels()));
    std::vector<int64_t> labels(static_cast<size_t>(std::max<int64_t>(n, 1)));
    if (n > 0) src->read(0, n, px.data(), labels.data());
    src->labels();
  });
  return 0;
}
