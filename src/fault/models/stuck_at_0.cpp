// sa0: the bit is stuck at 0 (permanent).
#include "fault/fault_model.h"

namespace cnnfi::fault {

FaultModelDef fault_model_stuck_at_0() {
  return {FaultModel::stuck_at_0, "sa0", "stuck-at-0", false,
          [](uint32_t word, int bit, int, int) { return word & ~(1u << bit); },
          [](uint32_t word, int bit) { return ((word >> bit) & 1u) == 0; }};
}

}  // namespace cnnfi::fault
