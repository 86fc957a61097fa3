// Training of any planned graph through the executor (libtorch autograd): the built-in
// architectures and imported ONNX models alike. SGD with Nesterov momentum (or Adam), weight
// decay and a cosine learning-rate schedule; seeded shuffling and augmentation.
#pragma once
#include <functional>

#include "data/preprocess.h"
#include "data/source.h"
#include "exec/executor.h"

namespace cnnfi::train {

struct TrainConfig {
  int epochs = 10;
  int64_t batch = 128;
  double lr = 0.1;            ///< peak learning rate (cosine decay to 0 over all steps)
  double momentum = 0.9;
  double weight_decay = 5e-4; ///< applied to conv/FC weights, not to biases or BatchNorm
  uint64_t seed = 1;
  bool flip = false;          ///< random horizontal flips
  int crop_pad = 0;           ///< random crops after padding the raw image by this many pixels
  double clip_norm = 0;       ///< > 0: gradients rescaled to this global L2 norm at most
  bool adam = false;          ///< Adam instead of SGD with Nesterov momentum (momentum then unused)
  /// Called before each step's forward pass with the step number and the batch's row count
  /// (fault-aware training arms that batch's faults here).
  std::function<void(int64_t step, int64_t rows)> before_step;
};

struct EpochStats {
  int epoch = 0;
  double loss = 0;
  double train_top1 = 0;
  double seconds = 0;
  double lr = 0;
};

/// Trains `exec`'s weights in place on `train_set`. The source is read into memory once
/// (training needs random access); `on_epoch` is called after each epoch.
void train(exec::Executor& exec, data::Source& train_set, const data::Preprocess& pre, const TrainConfig& cfg,
           const std::function<void(const EpochStats&)>& on_epoch);

}  // namespace cnnfi::train
