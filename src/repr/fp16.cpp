// IEEE-754 binary16: bits 0-9 mantissa, 10-14 exponent, 15 sign; encoding rounds to nearest even.
#include <c10/util/Half.h>

#include "repr/format.h"

namespace cnnfi::repr {

namespace {

class Fp16 : public Format {
 public:
  std::string name() const override { return "fp16"; }
  int width() const override { return 16; }
  std::vector<BitField> fields(const Params&) const override {
    return {{"mantissa", 0, 9}, {"exponent", 10, 14}, {"sign", 15, 15}};
  }
  uint32_t encode(float v, const Params&, int64_t) const override { return c10::Half(v).x; }
  float decode(uint32_t w, const Params&, int64_t) const override {
    return static_cast<float>(c10::Half(static_cast<uint16_t>(w), c10::Half::from_bits()));
  }
};

}  // namespace

std::unique_ptr<Format> make_fp16() { return std::make_unique<Fp16>(); }

}  // namespace cnnfi::repr
