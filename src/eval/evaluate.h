// Accuracy of an executor over a data source (streaming, batched).
#pragma once
#include <functional>
#include <string>

#include "data/loader.h"
#include "exec/executor.h"

namespace cnnfi::eval {

struct Accuracy {
  int64_t images = 0;
  int64_t top1_correct = 0;
  int64_t top5_correct = 0;
  double seconds = 0;
  double top1() const { return images ? static_cast<double>(top1_correct) / images : 0; }
  double top5() const { return images ? static_cast<double>(top5_correct) / images : 0; }
  double images_per_s() const { return seconds > 0 ? images / seconds : 0; }
};

/// Runs every batch of `loader` through `exec`. Labels outside the model's classes are an
/// error naming the image. `progress_label` non-empty shows a progress bar on a terminal.
Accuracy evaluate(const exec::Executor& exec, data::Loader& loader, const std::string& progress_label = "");

}  // namespace cnnfi::eval
