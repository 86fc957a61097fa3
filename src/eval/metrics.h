// Classification metrics with NaN handled explicitly, so results do not depend on how a
// platform sorts NaN: a NaN logit is never the maximum; a row of only NaN has no class (-1).
#pragma once
#include <string>

#include <ATen/core/Tensor.h>

namespace cnnfi::eval {

/// Top-1 class per row of (N, classes) logits; -1 where every logit is NaN.
at::Tensor top1(const at::Tensor& logits);
/// (N, k) class indices by descending logit, NaN ranked below every number; ties keep the
/// lower index first. k is clipped to the number of classes.
at::Tensor top_classes(const at::Tensor& logits, int64_t k);
/// Whether each row's label is among its top k (false for all-NaN rows).
at::Tensor in_topk(const at::Tensor& logits, const at::Tensor& labels, int64_t k);
/// Checks that `logits` is (N, classes) and every label is a class of it; `first_image` is the
/// index of row 0 in the data set and `model` names the model in errors.
void check_labels(const at::Tensor& logits, const at::Tensor& labels, int64_t first_image, const std::string& model);

}  // namespace cnnfi::eval
