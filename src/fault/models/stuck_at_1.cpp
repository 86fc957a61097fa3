// sa1: the bit is stuck at 1 (permanent).
#include "fault/fault_model.h"

namespace cnnfi::fault {

FaultModelDef fault_model_stuck_at_1() {
  return {FaultModel::stuck_at_1, "sa1", "stuck-at-1", false,
          [](uint32_t word, int bit, int, int) { return word | (1u << bit); },
          [](uint32_t word, int bit) { return ((word >> bit) & 1u) == 1; }};
}

}  // namespace cnnfi::fault
