// Integer execution of a planned float graph (seed 003, eq. 2.1), on the same executor: every
// Conv, Gemm and MatMul whose weight is an initializer becomes a quantised layer whose kernel
//   quantises its input to int8 (i8) at the calibrated input scale s_i,
//   computes the exact integer accumulator o32 = sum(i8 * w8) + b32 (w8: int8 weights at s_w per
//     output channel or per tensor; b32: the bias as int32 at s_i * s_w), saturated to int32,
//   requantises it to o8 = clamp(round(o32 * s_i s_w / s_o), int8) at the calibrated output
//     scale s_o, and hands s_o * o8 to the next node.
// The accumulator is exact: int8 x int8 products summed over K terms stay below 2^24 in magnitude
// for K <= 1024, where float32 arithmetic (in any order) is exact, so the float kernel runs on the
// integers; for K <= 8192 the input is split into two base-16 digits (products below 2^11) and
// the two exact float32 accumulators are combined in double; wider layers run in double.
// Rounding is half to even everywhere; scales are max-abs / 127 over a calibration set (the
// symmetric, no-zero-point quantisation of eq. 2.1). A BatchNormalization that reads only a Conv's
// output is folded into that Conv's weight and bias before quantisation, so o8 is the normalised
// pre-activation output; activation functions, pooling and adds run on the dequantised values
// (exact for ReLU and max-pooling on the int8 grid). ConvTranspose and layers with computed
// weights stay float.
//
// Fault sites are the five modules of every layer (module.h); faults are transient: armed for one
// batch, each for one image of it, and applied between Q and DQ (bit flips of the integer word).
// Optional range restriction (a what-if protection) clamps o32 and/or o8 to the range seen during
// calibration.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "data/preprocess.h"
#include "data/source.h"
#include "exec/executor.h"
#include "quant/arith.h"
#include "quant/module.h"

namespace cnnfi::quant {

struct QuantConfig {
  bool per_channel = true;  ///< w8 scale per output channel (else per tensor)
  bool clamp_o32 = false;   ///< range restriction of the accumulator to its calibrated range
  bool clamp_o8 = false;    ///< range restriction of the output to its calibrated range
  bool direct_faults = true;  ///< w8 faults by direct accumulation (false: by a one-weight kernel run; tests)
  bool model_scales = true;   ///< use the activation scales a model carries (fault-aware training) if any
};

/// The model metadata key under which fault-aware training leaves its activation scales (JSON:
/// [{"node", "s_in", "s_out"}], and "s_w": [...] for a QDQ model's own weight scales,
/// quant/qdq_import.h); calibrate() uses them instead of measuring.
constexpr const char* kScalesKey = "cnnfi.int8_scales";

/// One bit of one forward pass.
struct Fault {
  int64_t image = 0;  ///< index of the image in the evaluated set
  int layer = 0;      ///< index into QuantizedModel::layers()
  Module module = Module::i8;
  int64_t element = 0;  ///< within one image's tensor (i8, o32, o8) or the layer's tensor (w8, b32)
  int bit = 0;
};

struct QuantLayer {
  int node = 0;
  std::string name;       ///< the node's name
  std::string weight;     ///< the weight initializer
  int folded_bn = -1;     ///< the BatchNormalization node folded into it, or -1
  int channel_axis = 1;   ///< output channel axis of the result
  int64_t fan_in = 0;     ///< products summed into one accumulator (K)
  bool output_layer = false;  ///< its output is a graph output (the logits)
  /// How a w8 fault reaches the accumulator without a convolution: a 2-D (or 1-D) Conv's
  /// geometry, or a Gemm/MatMul whose input rows are the images.
  enum class Shape { conv2d, dense, other } shape = Shape::other;
  bool dense_transposed = false;  ///< dense: weight stored (out, in) (Gemm transB)
  int64_t groups = 1;
  std::vector<int64_t> kernel, strides, dilations;  ///< conv2d: 2 entries (1-D convs get H = 1)
  void* window = nullptr;                           ///< conv2d: the node's ops::Window
  double s_in = 0, s_out = 0;
  Codes in_codes, out_codes;  ///< i8 and o8 zero points and signedness (a QDQ model's own; symmetric int8 otherwise)
  at::Tensor s_w;         ///< weight scales (one, or one per output channel), double
  at::Tensor model_s_w;   ///< the model's own weight scales (a QDQ model's, via kScalesKey "s_w"); undefined: max-abs / 127
  at::Tensor w8, b32;     ///< integers in double tensors; b32 undefined when there is no bias
  at::Tensor multiplier;  ///< s_in s_w / s_out, double
  int64_t in_per_image = 0, out_per_image = 0;
  double o32_lo = 0, o32_hi = 0, o8_lo = 0, o8_hi = 0;  ///< calibrated ranges (range restriction)
  int64_t elements(Module m) const;
  int64_t bits(Module m) const { return elements(m) * width(m); }
};

class QuantizedModel {
 public:
  /// Plans the quantised layers of `exec`'s graph (nothing runs yet).
  QuantizedModel(exec::Executor& exec, QuantConfig config = {});
  ~QuantizedModel();

  /// Calibrates the scales on `images` (max-abs over every image), quantises the weights and
  /// installs the integer kernels in the executor. Until then the executor runs float.
  void calibrate(data::Source& images, const data::Preprocess& pre, int64_t batch = 256);
  bool calibrated() const { return calibrated_; }
  /// Puts the float kernels back (the executor then runs the float model again).
  void uninstall();

  /// Fault-aware training (seed 003): measures initial scales on `images`, then installs
  /// differentiable kernels that fake-quantise input, weight and output (straight-through
  /// gradients: round and clamp pass the gradient unchanged) and apply armed faults of the
  /// modules in `faulty` as constant offsets; the bias stays float (32-bit modules protected).
  /// In training the activation scales follow the max |value| of each batch (exponential moving
  /// average, momentum 0.9). Models with a folded BatchNormalization are refused.
  void install_training(data::Source& images, const data::Preprocess& pre, const ModuleSet& faulty, int64_t batch = 256);
  /// The activation scales as kScalesKey JSON (after calibration or training).
  std::string scales_json() const;

  const std::vector<QuantLayer>& layers() const { return layers_; }
  const QuantConfig& config() const { return config_; }
  /// Vulnerable bits of one forward pass (one image) in the modules of `set` (eq. 3.1).
  int64_t vulnerable_bits(const ModuleSet& set) const;

  /// Faults for the next runs on images [start, start + count); faults of other images are
  /// ignored. Errors name a fault outside its module.
  void arm(const std::vector<Fault>& faults, int64_t start, int64_t count);
  void disarm();

  /// Called with (layer, i8 input, o32 accumulator) of every quantised layer as it runs (tests).
  using Observer = std::function<void(const QuantLayer&, const at::Tensor& i8, const at::Tensor& o32)>;
  void observe(Observer f) { observer_ = std::move(f); }

 private:
  ops::KernelFn integer_kernel(size_t layer);
  ops::KernelFn training_kernel(size_t layer);
  void measure(data::Source& images, const data::Preprocess& pre, int64_t batch);
  void quantise_weights(QuantLayer& l, const at::Tensor& w, const at::Tensor& b) const;

  exec::Executor& exec_;
  QuantConfig config_;
  std::vector<QuantLayer> layers_;
  std::vector<ops::KernelFn> float_kernels_;       ///< per layer: the node's own kernel
  std::vector<ops::KernelFn> float_bn_kernels_;    ///< per layer: the folded BN's own kernel
  std::vector<at::Tensor> folded_w_, folded_b_;    ///< per layer: float weight/bias after BN folding
  std::vector<std::vector<Fault>> armed_;          ///< per layer; image relative to the batch
  ModuleSet training_faulty_;
  Observer observer_;
  bool calibrated_ = false, installed_ = false, recording_ = false;
};

/// Draws faults uniformly over every vulnerable bit of one forward pass in a module set, per
/// image, from a seed: the faults of an image depend only on (seed, image), not on batches.
class FaultSampler {
 public:
  /// `sites[l]` says whether layer l is a fault site (empty: every layer); `include` (if set)
  /// whether module m of layer l is.
  FaultSampler(const QuantizedModel& model, const ModuleSet& set, const std::vector<bool>& sites = {},
               const std::function<bool(const QuantLayer&, Module)>& include = {});
  int64_t bits() const { return total_; }
  /// `n` distinct faults of image `image` (n is clipped to the bit count).
  std::vector<Fault> draw(int64_t n, uint64_t seed, int64_t image) const;

 private:
  struct Block {
    int layer;
    Module module;
    int64_t begin;  ///< first bit of the block in the concatenation
  };
  std::vector<Block> blocks_;
  int64_t total_ = 0;
};

}  // namespace cnnfi::quant
