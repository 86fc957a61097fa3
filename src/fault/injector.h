// Weight injection into a live executor, in a number format, without copying the model:
// the executor's weights are first replaced by their stored values decode(encode(w)) (once);
// a fault then re-encodes only the faulty element, applies the fault model to its word,
// decodes it and writes it in place; restore() writes the saved floats back bit-exactly.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "exec/executor.h"
#include "fault/layout.h"
#include "fault/protection.h"
#include "fault/weight_fault.h"
#include "repr/format.h"

namespace cnnfi::fault {

/// The weights faults may target by default: the weight and bias inputs of every weighted layer
/// (ops/op_list.def: Conv, ConvTranspose, Gemm, MatMul) that are float initializers, in graph order.
std::vector<std::string> injectable_params(const exec::Executor& exec);
/// The format a campaign or command uses: `requested` when it names one; when it is empty or
/// "model", the model's own integer weight storage (graph::storage_format: model:int2-narrow, ...)
/// when its weights are quantised by QONNX quantisers; else fp32 (an error for "model").
std::string resolve_format(const std::string& requested, const graph::Graph& g);

class WeightInjector;

/// Resolves the faults given by memory word (WeightFault::by_word) to the element bit that the
/// injector's layout keeps at (memory, word, lane), in place. `source` names the list in errors;
/// an address outside the tensor's memory, a padding lane, or a param that is not a stored weight
/// is refused naming the fault.
void resolve_word_addresses(std::vector<WeightFault>& faults, const WeightInjector& injector, const std::string& source);

class WeightInjector {
 public:
  /// Stores `params` (all injectable ones when empty) of `exec` in `format`.
  WeightInjector(exec::Executor& exec, const repr::Format& format, std::vector<std::string> params = {});

  const repr::Format& format() const { return format_; }
  const std::vector<std::string>& params() const { return params_; }
  bool has(const std::string& param) const { return chosen_.count(param) > 0; }
  const repr::Params& params_of(const std::string& param) const;
  int64_t numel(const std::string& param) const;
  std::vector<int64_t> shape(const std::string& param) const;
  /// The stored word of one element (for masking checks and data-aware statistics).
  uint32_t word(const std::string& param, int64_t flat_index) const;

  /// Injects the faults of one trial; returns false (and changes nothing) when every fault is
  /// provably masked or corrected by the protection. Errors name the fault (unknown param, index
  /// or bit out of range).
  bool inject(const std::vector<WeightFault>& faults);
  /// Guards `masks` (param -> guarded bits) with `scheme`: inject() then applies protect() to each
  /// word its faults changed (fault/protection.h). Empty: no protection.
  void guard(Scheme scheme, std::map<std::string, uint32_t> masks);
  /// Packs every param's words into memory words (fault/layout.h): a burst fault at (element,
  /// bit) then covers the adjacent lanes of that memory word, across the elements it holds, as
  /// an accelerator's memory would; single-bit faults are unchanged.
  void set_layout(const Layout& layout);
  const Layout& layout() const { return layout_; }
  /// The layout of one param (words, bits) in the current layout.
  PackedTensor packing(const std::string& param) const;
  /// Whether the last inject() left an error the protection detected but could not correct.
  bool detected() const { return detected_; }
  /// The elements the last inject() changed: (value before, value now), in injection order.
  const std::vector<std::pair<float, float>>& changes() const { return changes_; }
  /// Restores every element changed since the last restore, bit-exactly.
  void restore();
  /// Index of the first node reading any of the faulty params (where a resumed run starts).
  int first_reader(const std::vector<WeightFault>& faults) const;

 private:
  exec::Executor& exec_;
  const repr::Format& format_;
  std::vector<std::string> params_;
  std::map<std::string, repr::Params> chosen_;
  std::map<std::string, at::Tensor> live_;
  std::map<std::string, int> first_reader_;
  std::vector<std::tuple<float*, float>> saved_;
  Layout layout_;
  Scheme scheme_ = Scheme::none;
  std::map<std::string, uint32_t> guard_;
  bool detected_ = false;
  std::vector<std::pair<float, float>> changes_;
};

}  // namespace cnnfi::fault
