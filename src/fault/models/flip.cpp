// flip: a single-event upset (SEU), one bit inverted.
#include "fault/fault_model.h"

namespace cnnfi::fault {

FaultModelDef fault_model_flip() {
  return {FaultModel::flip, "flip", "single-event upset: one bit inverted", false,
          [](uint32_t word, int bit, int, int) { return word ^ (1u << bit); },
          [](uint32_t, int) { return false; }};
}

}  // namespace cnnfi::fault
