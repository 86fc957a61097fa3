// Proven outcomes (issue 12): a sound bound on how far one weight fault can move the logits, so
// that an image whose top-1 (and top-5 set) cannot change is not evaluated.
//
// The bound is in the max norm. A fault changing weight w of a Conv, ConvTranspose, Gemm or
// MatMul by d moves each output of that layer by at most |d| * max|x| (x: the layer's input for
// that image; each output reads the weight at most once); a bias fault by |d|. From the layer
// output to the logits every node multiplies the bound by its Lipschitz constant in the max norm:
// Conv/Gemm/MatMul the largest absolute row sum of the (unchanged) weight, BatchNormalization
// max |gamma / sqrt(var + eps)|, Mul/Div by a constant its largest factor, ReLU, pooling, reshapes,
// softmax and the like 1, LogSoftmax 2; Add and Sub add their inputs' bounds. A node of any other
// kind on the way makes the fault unprovable (it is evaluated). An image is proven when the bound
// plus a slack for floating-point rounding is below half its golden top-1 margin and half the
// distance of its label's logit from the top-5 boundary (5th against 6th logit).
//
// A second bound, in the Euclidean norm per image, is usually far tighter for deep networks (the
// max-norm gain of a Conv is its largest absolute row sum, which ignores that the signs of its
// weights cancel): a weight fault at input channel c moves the layer output by at most
// |d| * ||x_c||_2 (x_c: that channel of the image's input), a bias fault by |d| * sqrt(positions);
// each node multiplies by its Lipschitz constant in the 2-norm: a Conv (group 1, no dilation)
// its largest singular value, bounded by that of the circular convolution on a grid large
// enough that no wrap-around reaches the input (the zero-padded, strided operator is a part of
// it), computed exactly per frequency of the 2-D DFT of the kernel; a BatchNormalization that
// only follows such a Conv is folded into its kernel first; Gemm/MatMul the largest singular
// value of the weight; max-pooling sqrt(m) and average pooling sqrt(m / k) (m: the most windows
// an element lies in, k: the window size; k = 1 with uncounted padding), a global average pool
// 1 / sqrt(positions); elementwise 1-Lipschitz ops 1; Add, Sub and Concat add. Singular values
// are computed in double precision and enlarged by 1e-6 relative. Logit pairs then move by at
// most sqrt(2) times the bound, so the image's bound is min(max-norm bound, 2-norm bound /
// sqrt(2)) per logit (the proof compares twice the bound with each decisive gap).
#pragma once
#include <map>
#include <optional>
#include <vector>

#include <ATen/ATen.h>

#include "exec/executor.h"

namespace cnnfi::campaign {

class OutputBound {
 public:
  explicit OutputBound(const exec::Executor& exec);
  /// Bound on max |change of the logits| per unit max |change| of node `node`'s first output;
  /// nullopt where a node on the way has no bound.
  std::optional<double> gain(int node);
  /// Per image: the bound on the logits' change when input slot `slot` of `node` (its weight or
  /// bias) changes by `delta` at one element; `x` is the node's input 0 for the batch. nullopt:
  /// not provable (unknown op, slot or non-finite change).
  std::optional<at::Tensor> image_bound(int node, int slot, double delta, const at::Tensor& x);
  /// The same with the element hit known (`flat_index` of the weight or bias): the tighter of the
  /// max-norm and the 2-norm bounds per image. Shapes of every node's output must be known
  /// (record_shapes) for the 2-norm bound; without them, the max-norm bound alone.
  std::optional<at::Tensor> image_bound(int node, int slot, int64_t flat_index, double delta, const at::Tensor& x);
  /// Records every value's shape from one run of `input` (one image is enough).
  void record_shapes(const at::Tensor& input);
  /// Bound on the 2-norm of the logits' change per unit 2-norm change of node `node`'s first
  /// output, for one image; nullopt where a node on the way has no 2-norm bound.
  std::optional<double> gain2(int node);
  /// The 2-norm Lipschitz bound of Conv node `node` at its recorded input size (with the
  /// BatchNormalization that alone follows it folded in when `fold_bn`); nullopt when it has none.
  std::optional<double> conv_sigma(int node, bool fold_bn);
  /// Which images of a batch a bound proves unchanged (the top-1 class, and whether the label is
  /// in the top 5), from the golden logits and the labels.
  static at::Tensor proven(const at::Tensor& golden_logits, const at::Tensor& labels, const at::Tensor& bound);

 private:
  std::optional<double> lipschitz(int node, const std::vector<double>& in) const;
  std::optional<double> lipschitz2(int node, const std::vector<double>& in, int start);
  std::optional<double> propagate(int node, bool two_norm);
  /// The BatchNormalization node that alone reads node `node`'s output, or -1.
  int folded_bn(int node) const;
  at::Tensor constant_of(int value) const;
  const exec::Executor& exec_;
  std::map<int, std::optional<double>> gain_, gain2_;
  std::map<std::pair<int, bool>, std::optional<double>> sigma_;
  std::map<int, std::vector<int64_t>> shapes_;  ///< value -> shape (batch 1)
};

}  // namespace cnnfi::campaign
