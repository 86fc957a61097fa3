#include "util/allocator.h"

#include <malloc.h>

namespace cnnfi {

void tune_allocator() {
  // 32 MiB is glibc's largest accepted mmap threshold on 64-bit; blocks above it still mmap.
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
}

}  // namespace cnnfi
