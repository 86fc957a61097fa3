// Fault models, applied to a stored word of `width` bits (bit 0 = LSB):
//   flip   single-event upset: one bit inverted (SEU)
//   burst  multi-bit upset: `burst` adjacent bits from `bit` upward inverted (MBU, 8 by default
//          as seed 002), clipped at the word's top
//   sa0 / sa1  stuck-at-0 / stuck-at-1 (permanent)
#pragma once
#include <cstdint>
#include <string>

namespace cnnfi::fault {

enum class FaultModel { flip, burst, stuck_at_0, stuck_at_1 };

constexpr int kDefaultBurst = 8;

uint32_t apply(uint32_t word, FaultModel model, int bit, int width, int burst = kDefaultBurst);
/// True when the fault cannot change the word: a stuck-at on a bit that already holds that value.
bool provably_masked(uint32_t word, FaultModel model, int bit);

/// CSV names: flip, burst8 (burstK for other lengths), sa0, sa1.
std::string to_string(FaultModel model, int burst = kDefaultBurst);
/// Parses a CSV name; sets *burst for burstK. Throws naming the value and the allowed ones.
FaultModel parse_fault_model(const std::string& s, int* burst);

}  // namespace cnnfi::fault
