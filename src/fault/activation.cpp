#include "fault/activation.h"

#include <algorithm>

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
    if (repr::is_model_format(format_.name())) {
      // The codes of the model's own activation quantiser: its output is faulted as the word it stores.
      const auto& qn = graph_.nodes[static_cast<size_t>(node)];
      std::vector<int64_t> shape = graph_.values[static_cast<size_t>(v)].shape;
      if (!graph_.values[static_cast<size_t>(v)].shape_known || shape.empty() ||
          std::any_of(shape.begin() + 1, shape.end(), [](int64_t d) { return d < 0; }))
        fail("fault {}: the shape of '{}' is not known before running, so its quantiser's scales cannot be laid out",
             f.id, f.param);
      shape[0] = 1;
      const auto st = graph::activation_storage(graph_, node, shape);
      if (!st)
        fail("fault {}: '{}' is the output of {}, not of a QONNX Quant, BipolarQuant or FloatQuant with constant parameters; format "
             "{} faults the codes those quantisers write",
             f.id, f.param, qn.describe(), format_.name());
      // Each quantiser's output is faulted in its own word (an activation's width need not be the weights').
      if (a.fault.bit < 0 || a.fault.bit >= st->bits)
        fail("fault {}: bit {} is out of range for '{}', {} codes of {} bit(s)", f.id, a.fault.bit, f.param,
             st->describe(), st->bits);
      if (!codes_.count(node)) {
        own_format_[node] = &repr::find_format("model:" + st->describe());
        repr::Params p;
        const at::Tensor s = st->scale.reshape({-1}), z = st->zero_point.reshape({-1});
        p.scale.assign(s.data_ptr<float>(), s.data_ptr<float>() + s.numel());
        p.zero_point.assign(z.data_ptr<float>(), z.data_ptr<float>() + z.numel());
        p.channel_size = 1;
        codes_[node] = std::move(p);
      }
    } else if (format_.name() != "fp32" && format_.name() != "fp16" && format_.name() != "bf16" && !unit_scale(format_)) {
      fail("fault {}: activation faults need a format without calibration (fp32, fp16, bf16, the k-bit codes "
           "binary, int2, int4, or the model's own model:* codes), not {}", f.id, format_.name());
    }
    armed_[node].push_back(a);
  }
  return !armed_.empty();
}

void ActivationHook::on_output(int node, std::vector<at::Tensor>& outputs) {
  repr::Params unit;
  if (unit_scale(format_)) unit.scale = {1.0f}, unit.channel_size = int64_t{1} << 62;
  const auto own = codes_.find(node);
  const repr::Params& none = own != codes_.end() ? own->second : unit;
  // Element index within one image: the model's own codes have one scale per element.
  const bool per_element = own != codes_.end();
  const repr::Format& wf = per_element ? *own_format_.at(node) : format_;
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
    if (a.fault.bit < 0 || a.fault.bit >= wf.width())
      fail("fault {}: bit {} is out of range for {}", a.fault.id, a.fault.bit, wf.name());
    float* p = out.data_ptr<float>();
    const int64_t first = a.row >= 0 ? a.row : 0, last = a.row >= 0 ? a.row + 1 : out.size(0);
    // The element bits the fault flips: one, or a burst's lanes in packed memory.
    std::vector<ElementBit> bits;
    if (layout_.packed() && a.fault.model == FaultModel::burst) {
      const PackedTensor pt(layout_, {per_image}, wf.width());
      bits = pt.burst(pt.locate(a.fault.flat_index, a.fault.bit), a.fault.burst);
    }
    for (int64_t r = first; r < last; ++r) {
      if (bits.empty()) {
        float& x = p[r * per_image + a.fault.flat_index];
        const int64_t e = per_element ? a.fault.flat_index : 0;
        const uint32_t w = wf.encode(x, none, e);
        x = wf.decode(apply(w, a.fault.model, a.fault.bit, wf.width(), a.fault.burst), none, e);
        continue;
      }
      // Each element's covered bits together (one by one would re-encode, and clamp, an
      // out-of-range intermediate code).
      for (const auto& run : element_runs(bits)) {
        float& x = p[r * per_image + run.element];
        const int64_t e = per_element ? run.element : 0;
        x = wf.decode(apply(wf.encode(x, none, e), FaultModel::burst, run.bit, wf.width(), run.bits), none, e);
      }
    }
  }
}

}  // namespace cnnfi::fault
