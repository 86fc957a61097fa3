// Weights a model stores as integer codes (QONNX): the quantiser on a weight initializer is folded
// at plan time, so the layer reads the dequantised weight directly and the fault injector sees it
// as that layer's weight memory, with the quantiser's bit width, signedness, narrowness, scale and
// zero point (graph.h: IntegerStorage). Execution is unchanged: the folded value is the
// quantiser's own output.
#include <algorithm>

#include <ATen/ATen.h>

#include "graph/graph.h"
#include "onnx/qonnx.h"
#include "ops/op.h"
#include "util/error.h"

namespace cnnfi::graph {

namespace {

bool is_weight_quantiser(const Node& n) {
  return onnx_io::is_qonnx_domain(n.domain) &&
         (n.op_type == "Quant" || n.op_type == "IntQuant" || n.op_type == "BipolarQuant" || n.op_type == "FloatQuant");
}

bool is_rearrangement(const Node& n) {
  static const char* const kOps[] = {"Transpose", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity"};
  return n.domain.empty() && std::any_of(std::begin(kOps), std::end(kOps), [&](const char* op) { return n.op_type == op; });
}

int64_t attr_int(const Node& n, const char* name, int64_t dflt) {
  for (const auto& a : n.proto->attribute())
    if (a.name() == name) return a.i();
  return dflt;
}

int64_t one_int(const at::Tensor& t) { return static_cast<int64_t>(t.to(at::kDouble).reshape({-1})[0].item<double>()); }

/// The word quantiser `n` writes, from its parameters (inputs 1.. , checked by its kernel already);
/// false for one that has no fixed word (an unsigned FloatQuant, a minifloat wider than 32 bits).
bool word_of(const Node& n, const std::vector<at::Tensor>& p, IntegerStorage& st) {
  st.bits = 1;
  if (n.op_type == "BipolarQuant") {
    st.bipolar = true;
    return true;
  }
  if (n.op_type == "FloatQuant") {
    if (attr_int(n, "signed", 1) == 0) return false;
    st.minifloat = true;
    st.exponent_bits = static_cast<int>(one_int(p.at(1)));
    st.mantissa_bits = static_cast<int>(one_int(p.at(2)));
    st.exponent_bias = static_cast<int>(one_int(p.at(3)));
    st.has_inf = attr_int(n, "has_infinity", 0) != 0;
    st.has_nan = attr_int(n, "has_nan", 0) != 0;
    st.bits = 1 + st.exponent_bits + st.mantissa_bits;
    return st.bits <= 32;
  }
  st.bits = static_cast<int>(one_int(p.at(2)));
  st.is_signed = attr_int(n, "signed", 1) != 0;
  st.narrow = attr_int(n, "narrow", 0) != 0;
  st.bipolar = st.bits == 1 && st.is_signed;  // QONNX executes a signed 1-bit Quant as bipolar
  return true;
}

}  // namespace

bool fold_into_storage(Graph& g, const Node& n, const std::vector<int>& readers) {
  const bool quantiser = is_weight_quantiser(n);
  if (!quantiser && !is_rearrangement(n)) return false;
  if (n.inputs.empty() || n.inputs[0] < 0 || n.outputs.size() != 1 || n.outputs[0] < 0) return false;
  const int w = n.inputs[0];
  if (g.values[w].kind != ValueKind::weight || readers[w] != 1) return false;
  if (quantiser == (g.storage.count(w) > 0)) return false;  // quantise floats once; rearrange stored codes only
  ops::Inputs in{g.tensors.at(w)};
  for (size_t k = 1; k < n.inputs.size(); ++k) {
    // Parameters known at plan time: constants, or float initializers another node reads too (a
    // scale of 1 shared with a Sub); the folded storage keeps the values they have now.
    if (n.inputs[k] >= 0 && g.values[n.inputs[k]].kind != ValueKind::constant &&
        g.values[n.inputs[k]].kind != ValueKind::weight)
      return false;
    in.push_back(n.inputs[k] >= 0 ? g.tensors.at(n.inputs[k]) : at::Tensor());
  }
  const ops::KernelFn kernel = ops::find_op(n.op_type)(ops::OpContext(g, n));
  const at::Tensor out = kernel(in, ops::RunState{})[0].contiguous();
  IntegerStorage st;
  if (quantiser) {
    if (!word_of(n, std::vector<at::Tensor>(in.begin() + 1, in.end()), st)) return false;
    st.scale = in[1].to(at::kFloat).expand_as(out).contiguous();
    st.zero_point = st.bipolar || st.minifloat ? at::zeros_like(out) : in[2].to(at::kFloat).expand_as(out).contiguous();
    st.quantiser = n.name;
    st.source = g.values[w].name;
  } else {
    st = g.storage.at(w);
    ops::Inputs s = in, z = in;
    s[0] = st.scale;
    z[0] = st.zero_point;
    st.scale = kernel(s, ops::RunState{})[0].contiguous();
    st.zero_point = kernel(z, ops::RunState{})[0].contiguous();
    g.storage.erase(w);
  }
  const int o = n.outputs[0];
  auto& v = g.values[o];
  v.kind = ValueKind::weight;
  v.producer = -1;
  v.shape = out.sizes().vec();
  v.shape_known = true;
  g.tensors[o] = out;
  g.storage[o] = std::move(st);
  g.values[w].kind = ValueKind::constant;  // the float original is no longer weight memory
  std::replace(g.weights.begin(), g.weights.end(), w, o);
  return true;
}

std::optional<IntegerStorage> activation_storage(const Graph& g, int node, const std::vector<int64_t>& image_shape) {
  const Node& n = g.nodes[static_cast<size_t>(node)];
  if (!is_weight_quantiser(n)) return std::nullopt;
  std::vector<at::Tensor> p;
  for (size_t k = 1; k < n.inputs.size(); ++k) {
    const int v = n.inputs[k];
    if (v < 0 || !g.tensors.count(v)) return std::nullopt;
    p.push_back(g.tensors.at(v));
  }
  IntegerStorage st;
  if (!word_of(n, p, st)) return std::nullopt;
  // Scales broadcast against the output as the kernel broadcasts them; one that does not (a
  // leading dimension other than 1, a shape that does not fit) is not a per-element layout.
  const auto image = [&](const at::Tensor& t) -> std::optional<at::Tensor> {
    at::Tensor f = t.to(at::kFloat);
    while (f.dim() > static_cast<int64_t>(image_shape.size())) {
      if (f.size(0) != 1) return std::nullopt;
      f = f.squeeze(0);
    }
    try {
      return f.expand(image_shape).contiguous();
    } catch (const c10::Error&) {
      return std::nullopt;
    }
  };
  const auto scale = image(p.at(0));
  const auto zero = st.bipolar || st.minifloat ? std::optional<at::Tensor>(at::zeros(image_shape, at::kFloat)) : image(p.at(1));
  if (!scale || !zero) return std::nullopt;
  st.scale = *scale;
  st.zero_point = *zero;
  st.quantiser = n.name;
  return st;
}

}  // namespace cnnfi::graph
