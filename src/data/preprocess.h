// Preprocessing of [0,1] CHW images into the model's input, in this order (torchvision's
// Grayscale/RGB -> Resize -> Pad -> Normalize): channel conversion, bilinear resize, zero padding
// of the raw image, per-channel (x - mean) / std.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json_fwd.hpp>

namespace cnnfi::data {

/// The most zero padding around an image (pixels a side): more is no CNN input, and the padded
/// batch would not fit in memory.
constexpr int kMaxPad = 1024;

struct Preprocess {
  std::vector<float> mean{0.0f};  ///< one value, or one per channel
  std::vector<float> std{1.0f};
  int pad = 0;                    ///< zero pixels added on every side before normalisation
  int resize_h = 0, resize_w = 0; ///< 0 = keep
  int channels = 0;               ///< 0 = keep, 1 = grey, 3 = RGB

  /// Applies the steps to a batch (N,C,H,W float in [0,1]).
  at::Tensor apply(const at::Tensor& batch) const;
  /// Checks values (std > 0, channel counts); `where` names the origin in errors.
  void validate(const std::string& where) const;
  nlohmann::json to_json() const;
  /// Reads the "preprocessing" object of a model card; unknown keys are an error naming them.
  static Preprocess from_json(const nlohmann::json& j, const std::string& where);
};

/// Preprocessing flags as given on a command line; unset fields fall back to the model card.
struct PreprocessFlags {
  std::optional<std::string> mean, std, resize;
  std::optional<int> pad, channels;
  /// Card values (if a card exists) overridden by the flags that were given.
  Preprocess resolve(const std::optional<Preprocess>& card) const;
};

}  // namespace cnnfi::data
