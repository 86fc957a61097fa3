#include "train/arch/arch.h"

#include "util/error.h"

namespace cnnfi::train {

const std::vector<ArchEntry>& arch_table() {
  static const std::vector<ArchEntry> table = {
#define CNNFI_ARCH(id, name, about) {name, &build_##id, about},
#include "train/arch/arch_list.def"
#undef CNNFI_ARCH
  };
  return table;
}

const ArchEntry& find_arch(const std::string& name) {
  std::string names;
  for (const auto& e : arch_table()) {
    if (name == e.name) return e;
    names += (names.empty() ? "" : ", ") + std::string(e.name);
  }
  fail("unknown architecture '{}'; choose one of: {}", name, names);
}

}  // namespace cnnfi::train
