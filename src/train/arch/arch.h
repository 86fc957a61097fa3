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
