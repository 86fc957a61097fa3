// Reference architectures, built as ONNX graphs with freshly initialised weights. One file per
// architecture, one line per architecture in arch_list.def.
#pragma once
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

namespace cnnfi::train {

struct ArchSpec {
  int channels = 1;   ///< input channels
  int height = 28;
  int width = 28;
  int classes = 10;
  uint64_t seed = 1;  ///< weight initialisation seed
  int weight_bits = 32;  ///< 1 (binary) or 2 (ternary codes): k-bit weights (cnv only); 32: float
  int act_bits = 32;     ///< 1 or 2: k-bit activations instead of ReLU (cnv only); 32: float
  double width_mult = 1.0;  ///< channel multiplier (cnv only; 0.5 = half of every layer)
};

using ArchBuilder = onnx::ModelProto (*)(const ArchSpec&);

struct ArchEntry {
  const char* name;
  ArchBuilder build;
  const char* about;
};

#define CNNFI_ARCH(id, name, about) onnx::ModelProto build_##id(const ArchSpec& spec);
#include "train/arch/arch_list.def"
#undef CNNFI_ARCH

const std::vector<ArchEntry>& arch_table();
/// The builder for `name`; throws listing the architectures.
const ArchEntry& find_arch(const std::string& name);

}  // namespace cnnfi::train
