#include "data/preprocess.h"

#include <cmath>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/strings.h"

namespace cnnfi::data {

namespace {

at::Tensor per_channel(const std::vector<float>& v, int64_t channels, const char* what) {
  if (v.size() != 1 && static_cast<int64_t>(v.size()) != channels)
    fail("--{} has {} values but the images have {} channels", what, v.size(), channels);
  at::Tensor t = at::tensor(v, at::kFloat);
  return (v.size() == 1 ? t.expand({channels}) : t).reshape({1, channels, 1, 1});
}

}  // namespace

at::Tensor Preprocess::apply(const at::Tensor& batch) const {
  at::Tensor x = batch;
  if (channels == 3 && x.size(1) == 1) x = x.expand({x.size(0), 3, x.size(2), x.size(3)});
  if (channels == 1 && x.size(1) == 3)
    x = (x * at::tensor({0.299f, 0.587f, 0.114f}).reshape({1, 3, 1, 1})).sum(1, true);
  if (resize_h > 0 && (x.size(2) != resize_h || x.size(3) != resize_w))
    x = at::upsample_bilinear2d(x, {resize_h, resize_w}, false);
  if (pad > 0) x = at::constant_pad_nd(x, {pad, pad, pad, pad}, 0);
  const int64_t c = x.size(1);
  x = (x - per_channel(mean, c, "mean")) / per_channel(std, c, "std");
  return x.contiguous();
}

void Preprocess::validate(const std::string& where) const {
  for (float s : std)
    if (!(s > 0) || !std::isfinite(s)) fail("{}: std values must be finite and > 0, got {}", where, s);
  for (float m : mean)
    if (!std::isfinite(m)) fail("{}: mean values must be finite, got {}", where, m);
  if (mean.empty() || std.empty()) fail("{}: mean and std need at least one value", where);
  if (pad < 0 || pad > kMaxPad) fail("{}: pad must be in [0, {}], got {}", where, kMaxPad, pad);
  if (channels != 0 && channels != 1 && channels != 3) fail("{}: channels must be 1 or 3, got {}", where, channels);
}

nlohmann::json Preprocess::to_json() const {
  nlohmann::json j = {{"mean", mean}, {"std", std}, {"pad", pad}, {"channels", channels}};
  j["resize"] = resize_h > 0 ? nlohmann::json(std::to_string(resize_h) + "x" + std::to_string(resize_w))
                             : nlohmann::json(nullptr);
  return j;
}

Preprocess Preprocess::from_json(const nlohmann::json& j, const std::string& where) {
  Preprocess p;
  if (!j.is_object()) fail("{}: 'preprocessing' must be an object", where);
  try {
    for (const auto& [key, value] : j.items()) {
      if (key == "mean") p.mean = value.get<std::vector<float>>();
      else if (key == "std") p.std = value.get<std::vector<float>>();
      else if (key == "pad") p.pad = value.get<int>();
      else if (key == "channels") p.channels = value.get<int>();
      else if (key == "resize") {
        if (!value.is_null()) std::tie(p.resize_h, p.resize_w) = parse_hw(value.get<std::string>(), where + ": resize");
      } else {
        fail("{}: unknown preprocessing key '{}' (allowed: mean, std, pad, channels, resize)", where, key);
      }
    }
  } catch (const nlohmann::json::exception& e) {
    fail("{}: bad preprocessing value: {}", where, e.what());
  }
  p.validate(where);
  return p;
}

Preprocess PreprocessFlags::resolve(const std::optional<Preprocess>& card) const {
  Preprocess p = card.value_or(Preprocess{});
  if (mean) p.mean = parse_floats(*mean, "--mean");
  if (std) p.std = parse_floats(*std, "--std");
  if (pad) p.pad = *pad;
  if (channels) p.channels = *channels;
  if (resize) std::tie(p.resize_h, p.resize_w) = parse_hw(*resize, "--resize");
  p.validate("preprocessing");
  return p;
}

}  // namespace cnnfi::data
