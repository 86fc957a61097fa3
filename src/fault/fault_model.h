// Fault models, applied to a stored word of `width` bits (bit 0 = LSB). The models are a table
// (fault_model_list.def); each is one file in fault/models/:
//   flip   single-event upset: one bit inverted (SEU)
//   burst  multi-bit upset: `length` adjacent bits from `bit` upward inverted (MBU, 8 by default
//          as seed 002), clipped at the word's top; named burstK in lists
//   sa0 / sa1  stuck-at-0 / stuck-at-1 (permanent)
//
// Adding a fault model: fault/models/<id>.cpp defining `FaultModelDef fault_model_<id>()` and
// one line CNNFI_FAULT_MODEL(id) in fault_model_list.def.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace cnnfi::fault {

enum class FaultModel {
#define CNNFI_FAULT_MODEL(id) id,
#include "fault/fault_model_list.def"
#undef CNNFI_FAULT_MODEL
};

constexpr int kDefaultBurst = 8;

struct FaultModelDef {
  FaultModel model;
  const char* name;        ///< as written in fault lists and configs
  const char* about;
  bool has_length = false; ///< takes a length: <name>K (1..32), <name> alone = kDefaultBurst
  /// The faulty word. `length` is the burst length where has_length.
  uint32_t (*apply)(uint32_t word, int bit, int width, int length) = nullptr;
  /// True when the fault leaves this word unchanged (a stuck-at on a bit already at that value).
  bool (*masked)(uint32_t word, int bit) = nullptr;
};

#define CNNFI_FAULT_MODEL(id) FaultModelDef fault_model_##id();
#include "fault/fault_model_list.def"
#undef CNNFI_FAULT_MODEL

/// Every fault model, in table order.
const std::vector<FaultModelDef>& fault_models();
const FaultModelDef& fault_model(FaultModel model);

uint32_t apply(uint32_t word, FaultModel model, int bit, int width, int burst = kDefaultBurst);
/// True when the fault cannot change the word.
bool provably_masked(uint32_t word, FaultModel model, int bit);

/// List names: flip, burst8 (burstK for other lengths), sa0, sa1.
std::string to_string(FaultModel model, int burst = kDefaultBurst);
/// Parses a list name; sets *burst for burstK. Throws naming the value and the allowed ones.
FaultModel parse_fault_model(const std::string& s, int* burst);

/// What a campaign injects: one fault model of the table, or stuck-at pairs ("sa": both stuck-ats
/// of every bit, seed 004's population).
struct FaultModelChoice {
  bool stuck_at_pairs = false;
  FaultModel model = FaultModel::flip;
  int burst = kDefaultBurst;
  std::string name() const;
};
/// "sa" or a fault-model name; throws naming the value and the allowed ones.
FaultModelChoice parse_fault_model_choice(const std::string& s);

}  // namespace cnnfi::fault
