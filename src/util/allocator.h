// Process-wide allocator tuning. glibc serves large blocks (activations of a batch: megabytes)
// with fresh mmap()s and returns them on free, so every forward pass page-faults its whole
// working set again; measured on ResNet-20 at batch 128 this made inference about 5x slower.
// Keeping such blocks in the heap (mmap threshold raised, trimming disabled) removes that.
#pragma once

namespace cnnfi {

/// Call once at program start (cnnfi, tests, benchmarks). Idempotent.
void tune_allocator();

}  // namespace cnnfi
