// burstK: a multi-bit upset (MBU), K adjacent bits inverted from `bit` upward, clipped at the top
// of the word (seed 002: 8-bit bursts).
#include "fault/fault_model.h"

namespace cnnfi::fault {

FaultModelDef fault_model_burst() {
  return {FaultModel::burst, "burst", "multi-bit upset: K adjacent bits from the given bit upward inverted", true,
          [](uint32_t word, int bit, int width, int length) {
            uint32_t mask = 0;
            for (int b = bit; b < bit + length && b < width; ++b) mask |= 1u << b;
            return word ^ mask;
          },
          [](uint32_t, int) { return false; }};
}

}  // namespace cnnfi::fault
