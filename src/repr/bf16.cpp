// bfloat16 (the upper half of binary32): bits 0-6 mantissa, 7-14 exponent, 15 sign; encoding
// rounds to nearest even.
#include <c10/util/BFloat16.h>

#include "repr/format.h"

namespace cnnfi::repr {

namespace {

class Bf16 : public Format {
 public:
  std::string name() const override { return "bf16"; }
  int width() const override { return 16; }
  std::vector<BitField> fields(const Params&) const override {
    return {{"mantissa", 0, 6}, {"exponent", 7, 14}, {"sign", 15, 15}};
  }
  uint32_t encode(float v, const Params&, int64_t) const override { return c10::BFloat16(v).x; }
  float decode(uint32_t w, const Params&, int64_t) const override {
    return static_cast<float>(c10::BFloat16(static_cast<uint16_t>(w), c10::BFloat16::from_bits()));
  }
};

}  // namespace

std::unique_ptr<Format> make_bf16() { return std::make_unique<Bf16>(); }

}  // namespace cnnfi::repr
