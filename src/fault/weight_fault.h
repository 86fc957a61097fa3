// Faults and their CSV replay format, one row per fault:
//   fault_id,param,flat_index,bit[,model][,group][,image]
// or, for weight memory, addressed by memory word instead of element (seed 002's packed memory):
//   fault_id,param,word,lane[,memory][,model][,group]
// (a list may mix both forms: each row fills flat_index and bit, or word and lane; memory defaults
// to 0). A word address is resolved to the element bit the campaign's layout keeps there
// (resolve_word_addresses in fault/injector.h); a burst then covers lanes lane .. lane + L - 1.
// param = an ONNX initializer name: a weight fault (persistent: injected once, active for the
//         whole pass over the data); or the name of a node output: an activation fault
//         (transient: one inference), flat_index then indexes one image's slice of that output;
// flat_index = row-major element index, bit 0 = LSB;
// model = flip (default), burst8, sa0, sa1; rows sharing a group are injected together (a row
// without group is its own group);
// image = for activation faults, the index of the image (in the evaluated set) whose inference
// is hit; empty or "all" = every inference. Extra columns are ignored, so lists from other
// tools replay unchanged.
#pragma once
#include <string>
#include <vector>

#include "fault/fault_model.h"

namespace cnnfi::fault {

struct WeightFault {
  int64_t id = 0;
  std::string param;
  int64_t flat_index = 0;
  int bit = 0;
  FaultModel model = FaultModel::flip;
  int burst = kDefaultBurst;
  int64_t group = -1;  ///< -1: alone
  int64_t image = -1;  ///< activation faults: the image hit; -1 = every inference
  /// Given by memory word (word >= 0) until resolved: flat_index and bit are then unset (-1).
  int64_t memory = 0, word = -1;
  int lane = -1;
  bool by_word() const { return word >= 0; }
};

/// Faults grouped for injection: each inner vector is injected together as one trial.
std::vector<std::vector<WeightFault>> group_faults(const std::vector<WeightFault>& faults);

/// Refuses a group that hits the same bit twice (param, flat_index, bit, image): two flips of one
/// bit cancel, so the group would report "masked" for faults that were never there. `source`
/// names the list in the message; `allow` (inject --allow-repeat, campaign key allow_repeat)
/// keeps such groups as they are.
void refuse_repeats(const std::vector<std::vector<WeightFault>>& groups, const std::string& source, bool allow);

std::vector<WeightFault> read_fault_csv(const std::string& path);
void write_fault_csv(const std::string& path, const std::vector<WeightFault>& faults);

}  // namespace cnnfi::fault
