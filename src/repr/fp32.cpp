// IEEE-754 binary32: bit 0 = mantissa LSB, 22 = mantissa MSB, 23-30 exponent, 31 sign.
#include <cstring>

#include "repr/format.h"

namespace cnnfi::repr {

namespace {

class Fp32 : public Format {
 public:
  std::string name() const override { return "fp32"; }
  int width() const override { return 32; }
  std::vector<BitField> fields(const Params&) const override {
    return {{"mantissa", 0, 22}, {"exponent", 23, 30}, {"sign", 31, 31}};
  }
  uint32_t encode(float v, const Params&, int64_t) const override {
    uint32_t w;
    std::memcpy(&w, &v, 4);
    return w;
  }
  float decode(uint32_t w, const Params&, int64_t) const override {
    float v;
    std::memcpy(&v, &w, 4);
    return v;
  }
};

}  // namespace

std::unique_ptr<Format> make_fp32() { return std::make_unique<Fp32>(); }

}  // namespace cnnfi::repr
