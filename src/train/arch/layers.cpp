#include "train/arch/layers.h"

#include <cmath>

#include <ATen/CPUGeneratorImpl.h>

namespace cnnfi::train {

using onnx_io::Attr;

Layers::Layers(onnx_io::ModelBuilder& b, uint64_t seed) : b_(b), gen_(at::detail::createCPUGenerator(seed)) {}

std::string Layers::conv(const std::string& x, const std::string& name, int64_t cin, int64_t cout, int64_t k,
                         int64_t stride, int64_t pad, int64_t groups, bool bias) {
  const double fan_out = static_cast<double>(cout) * k * k / groups;
  const at::Tensor w = at::normal(0.0, std::sqrt(2.0 / fan_out), {cout, cin / groups, k, k}, gen_);
  std::vector<std::string> in = {x, b_.initializer(name + ".weight", w)};
  if (bias) in.push_back(b_.initializer(name + ".bias", at::zeros({cout})));
  return b_.node("Conv", name, in,
                 {Attr::Ints("kernel_shape", {k, k}), Attr::Ints("strides", {stride, stride}),
                  Attr::Ints("pads", {pad, pad, pad, pad}), Attr::Int("group", groups)});
}

std::string Layers::bn(const std::string& x, const std::string& name, int64_t c) {
  return b_.node("BatchNormalization", name,
                 {x, b_.initializer(name + ".weight", at::ones({c})), b_.initializer(name + ".bias", at::zeros({c})),
                  b_.initializer(name + ".running_mean", at::zeros({c})),
                  b_.initializer(name + ".running_var", at::ones({c}))},
                 {Attr::Float("epsilon", 1e-5f), Attr::Float("momentum", 0.9f)});
}

std::string Layers::relu(const std::string& x, const std::string& name) { return b_.node("Relu", name, {x}); }

std::string Layers::relu6(const std::string& x, const std::string& name) {
  const std::string lo = b_.initializer(name + ".min", at::zeros({}));
  const std::string hi = b_.initializer(name + ".max", at::full({}, 6.0));
  return b_.node("Clip", name, {x, lo, hi});
}

std::string Layers::maxpool(const std::string& x, const std::string& name, int64_t k, int64_t stride) {
  return b_.node("MaxPool", name, {x}, {Attr::Ints("kernel_shape", {k, k}), Attr::Ints("strides", {stride, stride})});
}

std::string Layers::global_avgpool(const std::string& x, const std::string& name) {
  return b_.node("GlobalAveragePool", name, {x});
}

std::string Layers::dropout(const std::string& x, const std::string& name) { return b_.node("Dropout", name, {x}); }

std::string Layers::flatten(const std::string& x, const std::string& name) {
  return b_.node("Flatten", name, {x}, {Attr::Int("axis", 1)});
}

std::string Layers::linear(const std::string& x, const std::string& name, int64_t in, int64_t out,
                           const std::string& out_name) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  const at::Tensor w = at::empty({out, in}).uniform_(-bound, bound, gen_);
  const at::Tensor bias = at::empty({out}).uniform_(-bound, bound, gen_);
  return b_.node("Gemm", name,
                 {x, b_.initializer(name + ".weight", w), b_.initializer(name + ".bias", bias)},
                 {Attr::Int("transB", 1)}, out_name);
}

std::string Layers::add(const std::string& a, const std::string& b, const std::string& name) {
  return b_.node("Add", name, {a, b});
}

}  // namespace cnnfi::train
