// Bit patterns of the number formats and the fault models, computed by hand.
#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "fault/fault_model.h"
#include "repr/format.h"
#include "util/error.h"

using namespace cnnfi;
using fault::FaultModel;

namespace {

float flipped(const std::string& fmt, float v, int bit, FaultModel m = FaultModel::flip, const repr::Params& p = {}) {
  const auto& f = repr::find_format(fmt);
  return f.decode(fault::apply(f.encode(v, p, 0), m, bit, f.width()), p, 0);
}

}  // namespace

TEST(Fp32, SeedBitPatterns) {
  EXPECT_EQ(flipped("fp32", 0.5f, 30), 1.7014118e38f);  // exponent MSB: 2^126 * 0.5 * 2 ... = 2^127
  EXPECT_EQ(flipped("fp32", 0.5f, 30), std::ldexp(1.0f, 127));
  EXPECT_EQ(flipped("fp32", 0.5f, 31), -0.5f);
  EXPECT_EQ(flipped("fp32", 0.5f, 22), 0.75f);  // mantissa MSB
  EXPECT_EQ(flipped("fp32", 0.5f, 0), 0.5f + std::ldexp(1.0f, -24));
  EXPECT_EQ(flipped("fp32", 0.5f, 23), 1.0f);   // exponent LSB: 126 -> 127
  EXPECT_EQ(flipped("fp32", 1.0f, 30), std::numeric_limits<float>::infinity());  // 127 -> 255, mantissa 0
  EXPECT_TRUE(std::isnan(flipped("fp32", 1.5f, 30)));                            // 127 -> 255, mantissa != 0
}

TEST(Fp32, FieldsAndStuckAt) {
  const auto& f = repr::find_format("fp32");
  EXPECT_EQ(f.field_bits("exponent", {}), (std::vector<int>{23, 24, 25, 26, 27, 28, 29, 30}));
  EXPECT_EQ(f.field_bits("exponent-msb", {}), (std::vector<int>{30}));
  EXPECT_EQ(f.field_bits("sign", {}), (std::vector<int>{31}));
  EXPECT_EQ(f.field_bits("mantissa", {}).size(), 23u);
  EXPECT_THROW(f.field_bits("fraction", {}), Error);
  // 0.5 = 0x3f000000: bit 30 is 0, bits 24-29 are 1.
  EXPECT_TRUE(fault::provably_masked(f.encode(0.5f, {}, 0), FaultModel::stuck_at_0, 30));
  EXPECT_FALSE(fault::provably_masked(f.encode(0.5f, {}, 0), FaultModel::stuck_at_1, 30));
  EXPECT_EQ(flipped("fp32", 0.5f, 30, FaultModel::stuck_at_1), std::ldexp(1.0f, 127));
  EXPECT_EQ(flipped("fp32", 0.5f, 29, FaultModel::stuck_at_0), std::ldexp(0.5f, -64));  // 126 -> 62
}

TEST(Fp32, Burst8FlipsEightBitsUpward) {
  // 0.5 = 0x3f000000; burst8 from bit 23 flips bits 23..30: exponent 0x7e -> 0x81 (129).
  EXPECT_EQ(flipped("fp32", 0.5f, 23, FaultModel::burst), 4.0f);
  EXPECT_EQ(fault::apply(0u, FaultModel::burst, 28, 32, 8), 0xf0000000u);  // clipped at the top
  EXPECT_EQ(fault::apply(0u, FaultModel::burst, 0, 8, 8), 0xffu);
}

TEST(Fp16Bf16, BitPatterns) {
  EXPECT_EQ(repr::find_format("fp16").encode(1.0f, {}, 0), 0x3c00u);
  EXPECT_EQ(flipped("fp16", 0.5f, 15), -0.5f);
  EXPECT_EQ(flipped("fp16", 0.5f, 14), 32768.0f);  // exponent 14 -> 30: 2^15
  EXPECT_EQ(repr::find_format("bf16").encode(1.0f, {}, 0), 0x3f80u);
  EXPECT_EQ(flipped("bf16", 0.5f, 14), std::ldexp(1.0f, 127));
  EXPECT_EQ(flipped("bf16", 0.5f, 6), 0.75f);
}

TEST(FixedPoint, RistrettoFractionalLengthAndFlips) {
  const auto& q8 = repr::find_format("q8");
  // max|w| = 0.9: il = ceil(log2 0.9) + 1 = 1, fl = 7: Q1.7, step 1/128.
  const auto p = q8.choose(at::tensor({0.9f, -0.3f, 0.01f}));
  EXPECT_EQ(p.frac_len, 7);
  EXPECT_EQ(q8.encode(0.5f, p, 0), 64u);
  EXPECT_EQ(q8.encode(-0.5f, p, 0), 0xc0u);  // two's complement of 64
  EXPECT_EQ(q8.decode(64u ^ 0x80u, p, 0), -0.5f);  // sign bit flip of 0.5: 0b11000000 = -64/128
  EXPECT_EQ(flipped("q8", 0.5f, 0, FaultModel::flip, p), 0.5f + 1.0f / 128);
  EXPECT_EQ(flipped("q8", 0.5f, 6, FaultModel::flip, p), 0.0f);
  EXPECT_EQ(flipped("q8", 0.5f, 7, FaultModel::stuck_at_1, p), -0.5f);
  EXPECT_EQ(q8.encode(2.0f, p, 0), 127u);          // saturates at 127/128
  EXPECT_EQ(q8.decode(127u, p, 0), 127.0f / 128);
  // Fields for Q1.7: fraction 0-6, sign 7, no integer bits.
  const auto fields = q8.fields(p);
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].name, "fraction");
  EXPECT_EQ(fields[0].hi, 6);
  // Large weights: max 5.0 -> il = 4, fl = 4; negative fl for max 300 -> il = 10, fl = -2.
  EXPECT_EQ(q8.choose(at::tensor({5.0f})).frac_len, 4);
  const auto pn = q8.choose(at::tensor({300.0f}));
  EXPECT_EQ(pn.frac_len, -2);
  EXPECT_EQ(q8.decode(q8.encode(300.0f, pn, 0), pn, 0), 300.0f);  // 75 * 4
  EXPECT_EQ(flipped("q8", 300.0f, 0, FaultModel::flip, pn), 296.0f);  // word 75 = 0b1001011 -> 74
  EXPECT_EQ(repr::find_format("q16").choose(at::tensor({0.9f})).frac_len, 15);
}

TEST(Int8, SymmetricPerTensorAndPerChannel) {
  const auto& i8 = repr::find_format("int8");
  const auto p = i8.choose(at::tensor({1.27f, -0.5f}));
  EXPECT_FLOAT_EQ(p.scale[0], 0.01f);
  EXPECT_EQ(i8.encode(1.27f, p, 0), 127u);
  EXPECT_EQ(i8.encode(-0.5f, p, 1), static_cast<uint32_t>(static_cast<uint8_t>(-50)));
  // Flip bit 7 of 127 (0x7f -> 0xff = -1): 1.27 becomes -0.01.
  EXPECT_FLOAT_EQ(i8.decode(127u ^ 0x80u, p, 0), -0.01f);
  // Stuck-at-0 at bit 6 of 127 -> 63.
  EXPECT_FLOAT_EQ(i8.decode(fault::apply(127u, FaultModel::stuck_at_0, 6, 8), p, 0), 0.63f);
  const auto& ic = repr::find_format("int8-channel");
  const at::Tensor w = at::tensor({1.0f, 0.5f, 0.02f, -0.01f}).reshape({2, 2});
  const auto pc = ic.choose(w);
  ASSERT_EQ(pc.scale.size(), 2u);
  EXPECT_FLOAT_EQ(pc.scale[0], 1.0f / 127);
  EXPECT_FLOAT_EQ(pc.scale[1], 0.02f / 127);
  EXPECT_EQ(ic.encode(-0.0101f, pc, 3), static_cast<uint32_t>(static_cast<uint8_t>(-64)));  // -64.1 -> -64
  const at::Tensor stored = ic.store(w, pc);
  EXPECT_FLOAT_EQ(stored[1][0].item<float>(), 0.02f);
}

TEST(Formats, UnknownNameListsFormats) {
  try {
    repr::find_format("fp64");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("int8-channel"), std::string::npos);
  }
  EXPECT_EQ(fault::parse_fault_model("burst4", nullptr), FaultModel::burst);
  EXPECT_THROW(fault::parse_fault_model("bitflip", nullptr), Error);
}
