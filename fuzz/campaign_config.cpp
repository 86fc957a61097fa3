// Campaign files (YAML): every key, type and range check.
#include "campaign/config.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cnnfi::fuzz::expect_clean(
      [&] { cnnfi::campaign::parse_campaign(std::string(reinterpret_cast<const char*>(data), size), "fuzz.yaml"); });
  return 0;
}
