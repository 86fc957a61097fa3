// Layer helpers for the reference architectures: each adds ONNX nodes and initialised weights
// (Kaiming-normal fan-out for convolutions as torchvision does, PyTorch's default uniform for
// fully connected layers, BatchNorm at scale 1 / shift 0) and returns the output name.
#pragma once
#include <string>

#include <ATen/ATen.h>

#include "onnx/builder.h"

namespace cnnfi::train {

class Layers {
 public:
  Layers(onnx_io::ModelBuilder& b, uint64_t seed);
  std::string conv(const std::string& x, const std::string& name, int64_t cin, int64_t cout, int64_t k,
                   int64_t stride, int64_t pad, int64_t groups = 1, bool bias = false);
  std::string bn(const std::string& x, const std::string& name, int64_t c);
  std::string relu(const std::string& x, const std::string& name);
  std::string relu6(const std::string& x, const std::string& name);
  std::string maxpool(const std::string& x, const std::string& name, int64_t k, int64_t stride);
  std::string global_avgpool(const std::string& x, const std::string& name);
  std::string flatten(const std::string& x, const std::string& name);
  /// Dropout with ONNX's default ratio 0.5, dropping only in training.
  std::string dropout(const std::string& x, const std::string& name);
  /// `out_name` names the output tensor (e.g. "logits"); empty = "<name>_out".
  std::string linear(const std::string& x, const std::string& name, int64_t in, int64_t out,
                     const std::string& out_name = "");
  std::string add(const std::string& a, const std::string& b, const std::string& name);
  onnx_io::ModelBuilder& builder() { return b_; }

 private:
  onnx_io::ModelBuilder& b_;
  at::Generator gen_;
};

}  // namespace cnnfi::train
