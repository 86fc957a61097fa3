#include "fault/activation.h"

#include <ATen/ATen.h>

#include "util/error.h"

namespace cnnfi::fault {

ActivationHook::ActivationHook(const graph::Graph& graph, const repr::Format& format, const Layout& layout)
    : graph_(graph), format_(format), layout_(layout) {}

namespace {

bool unit_scale(const repr::Format& f) { return f.name() == "binary" || f.name() == "int2" || f.name() == "int4"; }

}  // namespace

bool ActivationHook::is_activation(const std::string& name) const {
  return graph_.has_value(name) && graph_.values[graph_.value(name)].producer >= 0;
}

int ActivationHook::producer(const std::string& name) const {
  if (!is_activation(name))
    fail("{}: '{}' is neither an injectable weight nor a node output of the model", graph_.file, name);
  return graph_.values[graph_.value(name)].producer;
}

bool ActivationHook::arm(const std::vector<WeightFault>& faults, int64_t start, int64_t count) {
  armed_.clear();
  for (const auto& f : faults) {
    if (f.image >= 0 && (f.image < start || f.image >= start + count)) continue;
    const int node = producer(f.param);
    const auto& outs = graph_.nodes[node].outputs;
    const int v = graph_.value(f.param);
    Armed a;
    a.slot = static_cast<int>(std::find(outs.begin(), outs.end(), v) - outs.begin());
    a.row = f.image >= 0 ? f.image - start : -1;
    a.fault = f;
    if (format_.name() != "fp32" && format_.name() != "fp16" && format_.name() != "bf16" && !unit_scale(format_))
      fail("fault {}: activation faults need a format without calibration (fp32, fp16, bf16, or the k-bit codes "
           "binary, int2, int4), not {}", f.id, format_.name());
    armed_[node].push_back(a);
  }
  return !armed_.empty();
}

void ActivationHook::on_output(int node, std::vector<at::Tensor>& outputs) {
  repr::Params none;
  if (unit_scale(format_)) none.scale = {1.0f}, none.channel_size = int64_t{1} << 62;
  for (const auto& a : armed_.at(node)) {
    // Kernels may return views of their inputs (Reshape, Identity): fault a private copy.
    at::Tensor& out = outputs.at(static_cast<size_t>(a.slot));
    out = out.contiguous().clone();
    if (out.scalar_type() != at::kFloat)
      fail("fault {}: '{}' is {}, activation faults need float32 outputs", a.fault.id, a.fault.param,
           c10::toString(out.scalar_type()));
    const int64_t per_image = out.numel() / out.size(0);
    if (a.fault.flat_index < 0 || a.fault.flat_index >= per_image)
      fail("fault {}: flat_index {} is out of range for '{}' ({} elements per image)", a.fault.id, a.fault.flat_index,
           a.fault.param, per_image);
    if (a.fault.bit < 0 || a.fault.bit >= format_.width())
      fail("fault {}: bit {} is out of range for {}", a.fault.id, a.fault.bit, format_.name());
    float* p = out.data_ptr<float>();
    const int64_t first = a.row >= 0 ? a.row : 0, last = a.row >= 0 ? a.row + 1 : out.size(0);
    // The element bits the fault flips: one, or a burst's lanes in packed memory.
    std::vector<ElementBit> bits;
    if (layout_.packed() && a.fault.model == FaultModel::burst) {
      const PackedTensor pt(layout_, {per_image}, format_.width());
      bits = pt.burst(pt.locate(a.fault.flat_index, a.fault.bit), a.fault.burst);
    }
    for (int64_t r = first; r < last; ++r) {
      if (bits.empty()) {
        float& x = p[r * per_image + a.fault.flat_index];
        const uint32_t w = format_.encode(x, none, 0);
        x = format_.decode(apply(w, a.fault.model, a.fault.bit, format_.width(), a.fault.burst), none, 0);
        continue;
      }
      // Each element's covered bits together (one by one would re-encode, and clamp, an
      // out-of-range intermediate code).
      for (const auto& run : element_runs(bits)) {
        float& x = p[r * per_image + run.element];
        x = format_.decode(apply(format_.encode(x, none, 0), FaultModel::burst, run.bit, format_.width(), run.bits), none, 0);
      }
    }
  }
}

}  // namespace cnnfi::fault
