// Fault lists (CSV).
#include "fault/weight_fault.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const cnnfi::fuzz::TempFile f(data, size, ".csv");
  cnnfi::fuzz::expect_clean([&] {
    const auto faults = cnnfi::fault::read_fault_csv(f.path());
    cnnfi::fault::group_faults(faults);
  });
  return 0;
}
