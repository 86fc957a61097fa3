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
  /// Which images of a batch a bound proves unchanged (the top-1 class, and whether the label is
  /// in the top 5), from the golden logits and the labels.
  static at::Tensor proven(const at::Tensor& golden_logits, const at::Tensor& labels, const at::Tensor& bound);

 private:
  std::optional<double> lipschitz(int node, const std::vector<double>& in) const;
  at::Tensor constant_of(int value) const;
  const exec::Executor& exec_;
  std::map<int, std::optional<double>> gain_;
};

}  // namespace cnnfi::campaign
