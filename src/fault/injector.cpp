#include "fault/injector.h"

#include <cstring>
#include <set>

#include <ATen/ATen.h>

#include "ops/op.h"
#include "util/error.h"

namespace cnnfi::fault {

std::vector<std::string> injectable_params(const exec::Executor& exec) {
  const auto& g = exec.graph();
  std::vector<std::string> out;
  std::set<int> seen;
  for (const auto& n : g.nodes) {
    const auto* op = ops::find_op_entry(n.op_type);
    for (int s : {op->weight_input, op->bias_input})
      if (s >= 0 && s < static_cast<int>(n.inputs.size()) && n.inputs[s] >= 0 &&
          g.values[n.inputs[s]].kind == graph::ValueKind::weight && seen.insert(n.inputs[s]).second)
        out.push_back(g.values[n.inputs[s]].name);
  }
  return out;
}

namespace {

/// The model's own storage parameters of weight `p` (model:* formats): per-element scale and zero
/// point from the quantiser the model applies to it.
repr::Params storage_params(const graph::Graph& g, const std::string& p, const repr::Format& format) {
  const auto it = g.storage.find(g.value(p));
  if (it == g.storage.end())
    fail("{}: weight '{}' is not stored as integer codes by the model (no QONNX quantiser reads it); format {} "
         "applies to the tensors a Quant, BipolarQuant or FloatQuant quantises",
         g.file, p, format.name());
  const auto& st = it->second;
  if ("model:" + st.describe() != format.name())
    fail("{}: weight '{}' is stored as {} by node '{}', not as format {}", g.file, p, st.describe(), st.quantiser,
         format.name());
  repr::Params out;
  const at::Tensor s = st.scale.reshape({-1}).contiguous(), z = st.zero_point.reshape({-1}).contiguous();
  out.scale.assign(s.data_ptr<float>(), s.data_ptr<float>() + s.numel());
  out.zero_point.assign(z.data_ptr<float>(), z.data_ptr<float>() + z.numel());
  out.channel_size = 1;
  return out;
}

std::vector<std::string> default_params(const exec::Executor& exec, const repr::Format& format) {
  std::vector<std::string> all = injectable_params(exec);
  if (!repr::is_model_format(format.name())) return all;
  const auto& g = exec.graph();
  std::vector<std::string> stored;
  for (const auto& p : all)
    if (const auto it = g.storage.find(g.value(p)); it != g.storage.end() && "model:" + it->second.describe() == format.name())
      stored.push_back(p);
  if (stored.empty()) {
    std::set<std::string> kinds;
    for (const auto& [v, st] : g.storage) kinds.insert("model:" + st.describe());
    std::string list;
    for (const auto& k : kinds) list += (list.empty() ? "" : ", ") + k;
    fail("{}: no weight of this model is stored as {}{}", g.file, format.name(),
         kinds.empty() ? std::string(" (no QONNX Quant, BipolarQuant or FloatQuant quantises a weight)")
                       : "; its quantised weights are stored as " + list);
  }
  return stored;
}

}  // namespace

std::string resolve_format(const std::string& requested, const graph::Graph& g) {
  if (!requested.empty() && requested != "model") return requested;
  const std::string own = graph::storage_format(g);
  if (!own.empty()) return own;
  if (requested == "model")
    fail("{}: format 'model' is the model's own integer weight storage, but no weight of this model is quantised by a "
         "QONNX Quant, BipolarQuant or FloatQuant; name a format (fp32, fp16, int8, ...)",
         g.file);
  return "fp32";
}

WeightInjector::WeightInjector(exec::Executor& exec, const repr::Format& format, std::vector<std::string> params)
    : exec_(exec), format_(format), params_(params.empty() ? default_params(exec, format) : std::move(params)) {
  at::NoGradGuard ng;
  const auto& g = exec.graph();
  const bool model_format = repr::is_model_format(format.name());
  for (const auto& p : params_) {
    at::Tensor w = exec.weight(p);
    if (w.scalar_type() != at::kFloat) fail("{}: weight '{}' is {}, cnnfi injects into float32 tensors", g.file, p,
                                            c10::toString(w.scalar_type()));
    const repr::Params chosen = model_format ? storage_params(g, p, format) : format.choose(w);
    if (format.name() != "fp32") w.copy_(format.store(w, chosen));
    chosen_[p] = chosen;
    live_[p] = w;
    const int v = g.value(p);
    first_reader_[p] = g.values[v].consumers.empty() ? static_cast<int>(g.nodes.size()) : g.values[v].consumers.front();
  }
}

const repr::Params& WeightInjector::params_of(const std::string& param) const {
  const auto it = chosen_.find(param);
  if (it == chosen_.end()) {
    std::string names;
    for (const auto& p : params_) names += (names.empty() ? "" : ", ") + p;
    fail("'{}' is not an injectable weight of {}; injectable: {}", param, exec_.graph().file, names);
  }
  return it->second;
}

int64_t WeightInjector::numel(const std::string& param) const {
  params_of(param);
  return live_.at(param).numel();
}

std::vector<int64_t> WeightInjector::shape(const std::string& param) const {
  params_of(param);
  return live_.at(param).sizes().vec();
}

uint32_t WeightInjector::word(const std::string& param, int64_t flat_index) const {
  const auto& p = params_of(param);
  return format_.encode(live_.at(param).data_ptr<float>()[flat_index], p, flat_index);
}

void WeightInjector::guard(Scheme scheme, std::map<std::string, uint32_t> masks) {
  for (const auto& kv : masks) params_of(kv.first);
  scheme_ = masks.empty() ? Scheme::none : scheme;
  guard_ = std::move(masks);
}

void WeightInjector::set_layout(const Layout& layout) { layout_ = layout; }

void resolve_word_addresses(std::vector<WeightFault>& faults, const WeightInjector& injector, const std::string& source) {
  for (auto& f : faults) {
    if (!f.by_word()) continue;
    if (!injector.has(f.param))
      fail("{}: fault {} is addressed by memory word in '{}', which is not a stored weight of this campaign (word "
           "addresses apply to weight memory)",
           source, f.id, f.param);
    const PackedTensor pt = injector.packing(f.param);
    const auto eb = pt.at(MemoryBit{f.memory, f.word, f.lane});
    if (!eb)
      fail("{}: fault {}: memory {} word {} lane {} of '{}' holds no weight bit in layout {} ({} memories, {} words "
           "of {} bits in all, {} elements of {} bits): outside the tensor or a padding lane",
           source, f.id, f.memory, f.word, f.lane, f.param, injector.layout().describe(), pt.memories(), pt.words(),
           pt.word_bits(), pt.numel(), injector.format().width());
    f.flat_index = eb->element;
    f.bit = eb->bit;
    f.memory = 0;
    f.word = -1;
    f.lane = -1;
  }
}

PackedTensor WeightInjector::packing(const std::string& param) const {
  params_of(param);
  return PackedTensor(layout_, live_.at(param).sizes().vec(), format_.width());
}

bool WeightInjector::inject(const std::vector<WeightFault>& requested) {
  // In packed memory a burst covers adjacent lanes of one memory word: the element bits there.
  std::vector<WeightFault> expanded;
  if (layout_.packed())
    for (const auto& f : requested) {
      if (f.model != FaultModel::burst) {
        expanded.push_back(f);
        continue;
      }
      const PackedTensor pt = packing(f.param);
      if (f.flat_index < 0 || f.flat_index >= pt.numel() || f.bit < 0 || f.bit >= format_.width())
        fail("fault {}: element {} bit {} is out of range for '{}' ({} elements of {} bits)", f.id, f.flat_index, f.bit,
             f.param, pt.numel(), format_.width());
      // One change per element: its covered bits are adjacent, flipped together (flipping them
      // one by one would re-encode an out-of-range intermediate code, which encode clamps).
      for (const auto& r : element_runs(pt.burst(pt.locate(f.flat_index, f.bit), f.burst))) {
        WeightFault g = f;
        g.flat_index = r.element;
        g.bit = r.bit;
        g.model = r.bits == 1 ? FaultModel::flip : FaultModel::burst;
        g.burst = r.bits;
        expanded.push_back(g);
      }
    }
  const std::vector<WeightFault>& faults = layout_.packed() ? expanded : requested;
  bool any = false;
  detected_ = false;
  changes_.clear();
  const size_t first_saved = saved_.size();
  // Guarded elements this trial changed: element -> (param, flat index, word before the trial).
  std::map<float*, std::tuple<const WeightFault*, uint32_t>> guarded;
  for (const auto& f : faults) {
    if (f.by_word()) fail("fault {}: given by memory word and not resolved to an element", f.id);
    const auto& p = params_of(f.param);
    const at::Tensor& w = live_.at(f.param);
    if (f.flat_index < 0 || f.flat_index >= w.numel())
      fail("fault {}: flat_index {} is out of range for '{}' ({} elements)", f.id, f.flat_index, f.param, w.numel());
    if (f.bit < 0 || f.bit >= format_.width())
      fail("fault {}: bit {} is out of range for {} ({} bits)", f.id, f.bit, format_.name(), format_.width());
    float* elem = w.data_ptr<float>() + f.flat_index;
    const uint32_t word = format_.encode(*elem, p, f.flat_index);
    if (provably_masked(word, f.model, f.bit)) continue;
    if (scheme_ != Scheme::none && guard_.count(f.param) && !guarded.count(elem)) guarded[elem] = {&f, word};
    saved_.emplace_back(elem, *elem);
    *elem = format_.decode(apply(word, f.model, f.bit, format_.width(), f.burst), p, f.flat_index);
    any = true;
  }
  auto record = [&] {
    changes_.clear();
    for (size_t i = first_saved; i < saved_.size(); ++i) changes_.emplace_back(std::get<1>(saved_[i]), *std::get<0>(saved_[i]));
  };
  if (guarded.empty()) {
    record();
    return any;
  }
  // The protection sees each guarded word once, with every fault of the trial in it.
  for (const auto& [elem, what] : guarded) {
    const WeightFault& f = *std::get<0>(what);
    const auto& p = chosen_.at(f.param);
    const uint32_t before = std::get<1>(what);
    const WordVerdict v = protect(scheme_, guard_.at(f.param), before, format_.encode(*elem, p, f.flat_index));
    *elem = format_.decode(v.word, p, f.flat_index);
    detected_ = detected_ || v.detected;
  }
  // Nothing left changed (every word corrected): the trial is masked.
  bool changed = false;
  std::set<float*> seen;  // the first save of an element holds its value before the trial
  for (size_t i = first_saved; i < saved_.size() && !changed; ++i) {
    if (!seen.insert(std::get<0>(saved_[i])).second) continue;
    const float now = *std::get<0>(saved_[i]);
    changed = std::memcmp(&now, &std::get<1>(saved_[i]), sizeof(float)) != 0;
  }
  if (!changed) {
    for (size_t i = saved_.size(); i-- > first_saved;) *std::get<0>(saved_[i]) = std::get<1>(saved_[i]);
    saved_.resize(first_saved);
  }
  record();
  return changed || detected_;
}

void WeightInjector::restore() {
  for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) *std::get<0>(*it) = std::get<1>(*it);
  saved_.clear();
}

int WeightInjector::first_reader(const std::vector<WeightFault>& faults) const {
  int first = static_cast<int>(exec_.graph().nodes.size());
  for (const auto& f : faults) {
    params_of(f.param);
    first = std::min(first, first_reader_.at(f.param));
  }
  return first;
}

}  // namespace cnnfi::fault
