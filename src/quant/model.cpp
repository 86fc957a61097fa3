#include "quant/model.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>

#include "data/loader.h"
#include "ops/op.h"
#include "ops/spatial.h"
#include "quant/arith.h"
#include "util/error.h"

namespace cnnfi::quant {

namespace {

/// The exact effect of w8 and b32 faults on the accumulators of their images, added to `o32`:
/// a flipped weight adds delta * (the inputs it multiplies) to the outputs it reaches; a flipped
/// bias adds delta to its channel. Conv (1-D, 2-D) and dense layers are done element by element;
/// other shapes call `general(image, element, delta)`.
template <typename General>
void add_weight_and_bias_faults(const QuantLayer& l, const std::vector<Fault>& faults, const at::Tensor& q,
                                at::Tensor& o32, bool direct, General&& general) {
  const int64_t axis = l.channel_axis < 0 ? o32.dim() - 1 : l.channel_axis;
  const int64_t channels = o32.size(axis);
  int64_t inner = 1;
  for (int64_t d = axis + 1; d < o32.dim(); ++d) inner *= o32.size(d);
  const int64_t outer = l.out_per_image / (channels * inner);
  double* op = o32.data_ptr<double>();
  const double* wp = l.w8.data_ptr<double>();
  const double* qp = q.data_ptr<double>();
  for (const auto& f : faults) {
    if (f.module == Module::b32) {
      const double b = l.b32.data_ptr<double>()[f.element];
      const double delta = flip(b, 32, f.bit) - b;
      double* base = op + f.image * l.out_per_image + f.element * inner;
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) base[o * channels * inner + i] += delta;
      continue;
    }
    if (f.module != Module::w8) continue;
    const double delta = flip(wp[f.element], 8, f.bit) - wp[f.element];
    if (delta == 0) continue;
    if (!direct) {
      general(f.image, f.element, delta);
    } else if (l.shape == QuantLayer::Shape::conv2d) {
      // x (N, Ci, H, W), o (N, Co, OH, OW), w (Co, Ci / groups, KH, KW); 1-D has H = 1.
      const bool one_d = q.dim() == 3;
      const int64_t Ci = q.size(1), H = one_d ? 1 : q.size(2), W = q.size(q.dim() - 1);
      const int64_t Co = o32.size(1), OH = one_d ? 1 : o32.size(2), OW = o32.size(o32.dim() - 1);
      const int64_t KH = l.kernel[0], KW = l.kernel[1], Cg = Ci / l.groups;
      const auto pads = ops::resolve_pads(*static_cast<const ops::Window*>(l.window), q.sizes().slice(2));
      const int64_t ph = one_d ? 0 : pads[0], pw = one_d ? pads[0] : pads[1];
      const int64_t co = f.element / (Cg * KH * KW), rest = f.element % (Cg * KH * KW);
      const int64_t ci = rest / (KH * KW), kh = (rest / KW) % KH, kw = rest % KW;
      const int64_t cin = (co / (Co / l.groups)) * Cg + ci;
      const double* x = qp + (f.image * Ci + cin) * H * W;
      double* o = op + (f.image * Co + co) * OH * OW;
      for (int64_t oh = 0; oh < OH; ++oh) {
        const int64_t ih = oh * l.strides[0] - ph + kh * l.dilations[0];
        if (ih < 0 || ih >= H) continue;
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t iw = ow * l.strides[1] - pw + kw * l.dilations[1];
          if (iw >= 0 && iw < W) o[oh * OW + ow] += delta * x[ih * W + iw];
        }
      }
    } else if (l.shape == QuantLayer::Shape::dense) {
      // Rows of the input are (image, ...leading) x K; the output's are (image, ...) x N.
      const int64_t K = l.dense_transposed ? l.w8.size(1) : l.w8.size(0);
      const int64_t N = l.dense_transposed ? l.w8.size(0) : l.w8.size(1);
      const int64_t out = l.dense_transposed ? f.element / K : f.element % N;
      const int64_t in = l.dense_transposed ? f.element % K : f.element / N;
      const int64_t rows = l.out_per_image / N;
      for (int64_t r = 0; r < rows; ++r)
        op[f.image * l.out_per_image + r * N + out] += delta * qp[f.image * l.in_per_image + r * K + in];
    } else {
      general(f.image, f.element, delta);
    }
  }
}

double attr_float(const graph::Node& n, const std::string& name, double dflt) {
  for (const auto& a : n.proto->attribute())
    if (a.name() == name) return a.f();
  return dflt;
}

int64_t attr_int(const graph::Node& n, const std::string& name, int64_t dflt) {
  for (const auto& a : n.proto->attribute())
    if (a.name() == name) return a.i();
  return dflt;
}

/// Max |x| over the finite values of a tensor.
double max_abs(const at::Tensor& t) {
  if (!t.numel()) return 0;
  const at::Tensor a = t.detach().to(at::kDouble).abs();
  return at::where(at::isfinite(a), a, at::zeros_like(a)).max().item<double>();
}

}  // namespace

int64_t QuantLayer::elements(Module m) const {
  switch (m) {
    case Module::i8: return in_per_image;
    case Module::w8: return w8.defined() ? w8.numel() : 0;
    case Module::b32: return b32.defined() ? b32.numel() : 0;
    case Module::o32:
    case Module::o8: return out_per_image;
  }
  return 0;
}

QuantizedModel::QuantizedModel(exec::Executor& exec, QuantConfig config) : exec_(exec), config_(config) {
  const auto& g = exec.graph();
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const auto& n = g.nodes[i];
    const auto* op = ops::find_op_entry(n.op_type);
    if (!op || op->weight_input < 0 || n.op_type == "ConvTranspose") continue;
    const int wi = op->weight_input;
    if (wi >= static_cast<int>(n.inputs.size()) || n.inputs[wi] < 0 ||
        g.values[n.inputs[wi]].kind != graph::ValueKind::weight)
      continue;
    if (n.op_type == "Gemm" && (attr_float(n, "alpha", 1) != 1 || attr_float(n, "beta", 1) != 1)) continue;
    QuantLayer l;
    l.node = static_cast<int>(i);
    l.name = n.name;
    l.weight = g.values[n.inputs[wi]].name;
    l.channel_axis = n.op_type == "MatMul" ? -1 : 1;
    l.output_layer = !n.outputs.empty() && std::find(g.outputs.begin(), g.outputs.end(), n.outputs[0]) != g.outputs.end();
    at::Tensor w = exec.weight(l.weight).detach().to(at::kDouble);
    at::Tensor b;
    if (op->bias_input >= 0 && op->bias_input < static_cast<int>(n.inputs.size()) && n.inputs[op->bias_input] >= 0) {
      const auto& bv = g.values[n.inputs[op->bias_input]];
      if (bv.kind == graph::ValueKind::weight) b = exec.weight(bv.name).detach().to(at::kDouble);
      else if (bv.kind == graph::ValueKind::constant) b = g.tensors.at(n.inputs[op->bias_input]).to(at::kDouble);
      else continue;  // a computed bias: stays float
    }
    // Fold a BatchNormalization that reads only this Conv's output.
    const int out = n.outputs.empty() ? -1 : n.outputs[0];
    if (n.op_type == "Conv" && out >= 0 && g.values[out].consumers.size() == 1 &&
        std::find(g.outputs.begin(), g.outputs.end(), out) == g.outputs.end()) {
      const int c = g.values[out].consumers[0];
      const auto& bn = g.nodes[c];
      bool foldable = bn.op_type == "BatchNormalization" && bn.inputs.size() >= 5 && bn.inputs[0] == out &&
                      bn.outputs.size() >= 1;
      for (size_t k = 1; foldable && k < 5; ++k)
        foldable = bn.inputs[k] >= 0 && g.tensors.count(bn.inputs[k]);
      if (foldable) {
        auto param = [&](size_t k) { return exec.weight(g.values[bn.inputs[k]].name).detach().to(at::kDouble); };
        const double eps = attr_float(bn, "epsilon", 1e-5f);
        const at::Tensor factor = param(1) / at::sqrt(param(4) + eps);
        std::vector<int64_t> shape(static_cast<size_t>(w.dim()), 1);
        shape[0] = -1;
        w = w * factor.reshape(shape);
        b = ((b.defined() ? b : at::zeros_like(factor)) - param(3)) * factor + param(2);
        l.folded_bn = c;
      }
    }
    // Geometry for the direct w8 fault path.
    if (n.op_type == "Conv" && (w.dim() == 4 || w.dim() == 3)) {
      auto* win = new ops::Window(ops::read_window(ops::OpContext(g, n), {}));
      l.shape = QuantLayer::Shape::conv2d;
      l.window = win;
      l.groups = attr_int(n, "group", 1);
      const bool one_d = w.dim() == 3;
      l.kernel = one_d ? std::vector<int64_t>{1, win->kernel[0]} : win->kernel;
      l.strides = one_d ? std::vector<int64_t>{1, win->strides[0]} : win->strides;
      l.dilations = one_d ? std::vector<int64_t>{1, win->dilations[0]} : win->dilations;
    } else if ((n.op_type == "Gemm" && !attr_int(n, "transA", 0)) || (n.op_type == "MatMul" && w.dim() == 2)) {
      l.shape = QuantLayer::Shape::dense;
      l.dense_transposed = n.op_type == "Gemm" && attr_int(n, "transB", 0);
    }
    layers_.push_back(l);
    folded_w_.push_back(w);
    folded_b_.push_back(b);
    float_kernels_.push_back(exec.kernel(static_cast<int>(i)));
    float_bn_kernels_.push_back(l.folded_bn >= 0 ? exec.kernel(l.folded_bn) : ops::KernelFn());
  }
  armed_.resize(layers_.size());
}

QuantizedModel::~QuantizedModel() {
  uninstall();
  for (auto& l : layers_) delete static_cast<ops::Window*>(l.window);
}

void QuantizedModel::uninstall() {
  for (size_t i = 0; i < layers_.size(); ++i) {
    exec_.replace_kernel(layers_[i].node, float_kernels_[i]);
    if (layers_[i].folded_bn >= 0) exec_.replace_kernel(layers_[i].folded_bn, float_bn_kernels_[i]);
  }
  installed_ = false;
}

void QuantizedModel::quantise_weights(QuantLayer& l, const at::Tensor& w, const at::Tensor& b) const {
  const auto& n = exec_.graph().nodes[l.node];
  // The weight's output-channel axis: Conv (Cout, ...), Gemm (N, K) with transB else (K, N),
  // MatMul (K, N).
  int64_t axis = 0;
  if (n.op_type == "MatMul" || (n.op_type == "Gemm" && !attr_int(n, "transB", 0))) axis = w.dim() - 1;
  if (l.model_s_w.defined()) {
    // The model's own scales (a QDQ model): its integers come back exactly.
    if (l.model_s_w.numel() != 1 && (w.dim() < 2 || l.model_s_w.numel() != w.size(axis)))
      fail("{}: layer '{}' carries {} weight scales for {} output channels", exec_.graph().file, l.name,
           l.model_s_w.numel(), w.dim() >= 2 ? w.size(axis) : 1);
    l.s_w = l.model_s_w;
    std::vector<int64_t> shape(static_cast<size_t>(w.dim()), 1);
    if (l.s_w.numel() > 1) shape[static_cast<size_t>(axis)] = -1;
    l.w8 = at::round(w / (l.s_w.numel() > 1 ? l.s_w.reshape(shape) : l.s_w)).clamp_(-128, 127);
  } else if (config_.per_channel && w.dim() >= 2) {
    at::Tensor m = w.abs().movedim(axis, 0).reshape({w.size(axis), -1}).amax(1);
    l.s_w = at::where(m > 0, m / 127.0, at::ones_like(m));
    std::vector<int64_t> shape(static_cast<size_t>(w.dim()), 1);
    shape[static_cast<size_t>(axis)] = -1;
    l.w8 = at::round(w / l.s_w.reshape(shape)).clamp_(-128, 127);
  } else {
    const double m = w.abs().max().item<double>();
    l.s_w = at::full({1}, m > 0 ? m / 127.0 : 1.0, at::kDouble);
    l.w8 = at::round(w / l.s_w).clamp_(-128, 127);
  }
  l.b32 = b.defined() ? at::round(b / (l.s_in * l.s_w)).clamp_(kInt32Min, kInt32Max) : at::Tensor();
  l.fan_in = n.op_type == "Conv" ? w.numel() / w.size(0) : w.size(axis == 0 ? 1 : 0);
  l.multiplier = l.s_in * l.s_w / l.s_out;
}

void QuantizedModel::measure(data::Source& images, const data::Preprocess& pre, int64_t batch) {
  if (images.size() == 0) fail("calibration: the calibration set holds no image");
  uninstall();
  std::vector<double> in_max(layers_.size(), 0), out_max(layers_.size(), 0);
  // Float: the folded layers record the largest |input| and |output| they see.
  for (size_t i = 0; i < layers_.size(); ++i) {
    auto& l = layers_[i];
    const auto* op = ops::find_op_entry(exec_.graph().nodes[l.node].op_type);
    exec_.replace_kernel(l.node, [this, i, op, &in_max, &out_max](const ops::Inputs& in, const ops::RunState& rs) {
      ops::Inputs f = in;
      f[op->weight_input] = folded_w_[i].to(in[0].scalar_type());
      if (op->bias_input >= 0) {
        if (f.size() <= static_cast<size_t>(op->bias_input)) f.resize(op->bias_input + 1);
        f[op->bias_input] = folded_b_[i].defined() ? folded_b_[i].to(in[0].scalar_type()) : at::Tensor();
      }
      auto out = float_kernels_[i](f, rs);
      in_max[i] = std::max(in_max[i], max_abs(in[0]));
      out_max[i] = std::max(out_max[i], max_abs(out.at(0)));
      layers_[i].in_per_image = in[0].numel() / std::max<int64_t>(1, in[0].size(0));
      layers_[i].out_per_image = out[0].numel() / std::max<int64_t>(1, out[0].size(0));
      return out;
    });
    if (l.folded_bn >= 0)
      exec_.replace_kernel(l.folded_bn, [](const ops::Inputs& in, const ops::RunState&) -> ops::Outputs { return {in[0]}; });
  }
  data::Loader loader(images, pre, batch);
  data::Batch b;
  while (loader.next(b)) exec_.forward(b.images);
  // Scales: the model's own (fault-aware training) if it carries them, else max-abs / 127.
  std::map<std::string, std::pair<double, double>> carried;
  std::map<std::string, std::vector<double>> carried_w;
  std::map<std::string, std::pair<Codes, Codes>> carried_codes;
  if (config_.model_scales)
    for (const auto& p : exec_.graph().model->metadata_props())
      if (p.key() == kScalesKey) {
        try {
          for (const auto& j : nlohmann::json::parse(p.value())) {
            carried[j.at("node").get<std::string>()] = {j.at("s_in").get<double>(), j.at("s_out").get<double>()};
            if (j.contains("s_w")) carried_w[j.at("node").get<std::string>()] = j.at("s_w").get<std::vector<double>>();
            if (j.contains("zp_in")) {
              Codes ci, co;
              ci.zero_point = j.at("zp_in").get<double>();
              co.zero_point = j.at("zp_out").get<double>();
              ci.is_unsigned = j.at("in_type").get<std::string>() == "uint8";
              co.is_unsigned = j.at("out_type").get<std::string>() == "uint8";
              for (const Codes& c : {ci, co})
                if (!(c.zero_point >= c.lo() && c.zero_point <= c.hi() && c.zero_point == std::floor(c.zero_point)))
                  fail("{}: metadata '{}': layer '{}' has a zero point {} outside its codes' range", exec_.graph().file,
                       kScalesKey, j.at("node").get<std::string>(), c.zero_point);
              carried_codes[j.at("node").get<std::string>()] = {ci, co};
            }
          }
        } catch (const std::exception& e) {
          fail("{}: metadata '{}' is not the scales cnnfi writes: {}", exec_.graph().file, kScalesKey, e.what());
        }
      }
  for (size_t i = 0; i < layers_.size(); ++i) {
    auto& l = layers_[i];
    l.s_in = in_max[i] > 0 ? in_max[i] / 127.0 : 1.0;
    l.s_out = out_max[i] > 0 ? out_max[i] / 127.0 : 1.0;
    if (const auto it = carried.find(l.name); it != carried.end()) {
      if (!(it->second.first > 0 && it->second.second > 0 && std::isfinite(it->second.first) && std::isfinite(it->second.second)))
        fail("{}: metadata '{}': layer '{}' has scales {} and {}; they must be finite and > 0", exec_.graph().file,
             kScalesKey, l.name, it->second.first, it->second.second);
      l.s_in = it->second.first;
      l.s_out = it->second.second;
    }
    if (const auto it = carried_codes.find(l.name); it != carried_codes.end()) {
      l.in_codes = it->second.first;
      l.out_codes = it->second.second;
    }
    if (const auto it = carried_w.find(l.name); it != carried_w.end()) {
      const auto& v = it->second;
      const at::Tensor s = at::tensor(v, at::kDouble);
      if (v.empty() || (~at::isfinite(s) | (s <= 0)).any().item<bool>())
        fail("{}: metadata '{}': layer '{}' has weight scales that are not all finite and > 0", exec_.graph().file,
             kScalesKey, l.name);
      if (l.folded_bn >= 0)
        fail("{}: metadata '{}': layer '{}' carries its weight scales but a BatchNormalization is folded into it",
             exec_.graph().file, kScalesKey, l.name);
      l.model_s_w = s;
    }
    quantise_weights(l, folded_w_[i], folded_b_[i]);
    l.o32_lo = l.o8_lo = INFINITY;
    l.o32_hi = l.o8_hi = -INFINITY;
  }
}

void QuantizedModel::calibrate(data::Source& images, const data::Preprocess& pre, int64_t batch) {
  measure(images, pre, batch);
  // Integer: the ranges of o32 and o8 (for range restriction).
  for (size_t i = 0; i < layers_.size(); ++i) exec_.replace_kernel(layers_[i].node, integer_kernel(i));
  installed_ = true;
  recording_ = true;
  data::Loader loader(images, pre, batch);
  data::Batch b;
  while (loader.next(b)) exec_.forward(b.images);
  recording_ = false;
  calibrated_ = true;
}

std::string QuantizedModel::scales_json() const {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& l : layers_) j.push_back({{"node", l.name}, {"s_in", l.s_in}, {"s_out", l.s_out}});
  return j.dump();
}

void QuantizedModel::install_training(data::Source& images, const data::Preprocess& pre, const ModuleSet& faulty,
                                      int64_t batch) {
  for (const auto& l : layers_)
    if (l.folded_bn >= 0)
      fail("{}: fault-aware training runs the layers fake-quantised as they are; layer '{}' is followed by a "
           "BatchNormalization, which the integer model folds into it: train a model without BatchNorm",
           exec_.graph().file, l.name);
  measure(images, pre, batch);
  for (const auto& l : layers_)
    if (!l.in_codes.symmetric() || !l.out_codes.symmetric())
      fail("{}: fault-aware training runs symmetric int8 layers; layer '{}' carries the zero points of a QDQ model",
           exec_.graph().file, l.name);
  training_faulty_ = faulty;
  for (size_t i = 0; i < layers_.size(); ++i) exec_.replace_kernel(layers_[i].node, training_kernel(i));
  installed_ = true;
}

ops::KernelFn QuantizedModel::training_kernel(size_t li) {
  const auto* op = ops::find_op_entry(exec_.graph().nodes[layers_[li].node].op_type);
  return [this, li, op](const ops::Inputs& in, const ops::RunState& rs) -> ops::Outputs {
    auto& l = layers_[li];
    const auto& faults = armed_[li];
    const at::Tensor& x = in[0];
    const at::Tensor& w = in[op->weight_input];
    constexpr double momentum = 0.9;
    if (rs.training) l.s_in = momentum * l.s_in + (1 - momentum) * std::max(max_abs(x) / 127.0, 1e-12);
    // Weight scales follow the weights, per output channel as the integer model chooses them.
    quantise_weights(l, w.detach().to(at::kDouble), at::Tensor());
    const at::Tensor q = quantize(x.detach(), l.s_in, 8).contiguous();
    // Straight-through, clipped: the gradient passes where the value is inside the int8 range.
    const at::Tensor xc = at::clamp(x, -128 * l.s_in, 127 * l.s_in);
    const at::Tensor xq = xc + (q.to(x.scalar_type()) * l.s_in - xc).detach();
    int64_t waxis = 0;
    const auto& node = exec_.graph().nodes[l.node];
    if (node.op_type == "MatMul" || (node.op_type == "Gemm" && !attr_int(node, "transB", 0))) waxis = w.dim() - 1;
    std::vector<int64_t> wshape(static_cast<size_t>(w.dim()), 1);
    wshape[static_cast<size_t>(waxis)] = -1;
    const at::Tensor sw = l.s_w.numel() > 1 ? l.s_w.reshape(wshape) : l.s_w;
    const at::Tensor wq = w + ((l.w8 * sw).to(w.scalar_type()) - w).detach();
    ops::Inputs f = in;
    f[0] = xq;
    f[op->weight_input] = wq;
    // The fault-free output carries the gradient and sets the output scale: a fault's magnitude
    // must not inflate the scale (the instability seed 003 reports for its 32-bit modules).
    const at::Tensor y = float_kernels_[li](f, rs).at(0);
    if (rs.training) l.s_out = momentum * l.s_out + (1 - momentum) * std::max(max_abs(y) / 127.0, 1e-12);
    // The faults' effect on this batch, a constant offset of y.
    at::Tensor offset;
    {
      at::NoGradGuard no_grad;
      at::Tensor qf = q;
      if (training_faulty_.has(Module::i8)) {
        qf = q.clone();
        double* qp = qf.data_ptr<double>();
        bool any = false;
        for (const auto& fa : faults)
          if (fa.module == Module::i8) {
            double& v = qp[fa.image * l.in_per_image + fa.element];
            v = flip(v, 8, fa.bit);
            any = true;
          }
        if (any) {
          ops::Inputs d(in.size());
          d[0] = ((qf - q) * l.s_in).to(x.scalar_type());
          d[op->weight_input] = wq.detach();
          offset = float_kernels_[li](d, rs).at(0);
        }
      }
      bool any_w8 = false;
      for (const auto& fa : faults) any_w8 = any_w8 || fa.module == Module::w8;
      if (any_w8 && training_faulty_.has(Module::w8)) {
        at::Tensor d32 = at::zeros(y.sizes(), at::kDouble);
        add_weight_and_bias_faults(l, faults, qf, d32, true, [](int64_t, int64_t, double) {
          fail("fault-aware training: w8 faults need a Conv (1-D, 2-D), Gemm or MatMul layer");
        });
        const int64_t axis = l.channel_axis < 0 ? y.dim() - 1 : l.channel_axis;
        std::vector<int64_t> shape(static_cast<size_t>(y.dim()), 1);
        shape[static_cast<size_t>(axis)] = -1;
        const at::Tensor dw = (d32 * (l.s_in * (l.s_w.numel() > 1 ? l.s_w.reshape(shape) : l.s_w))).to(y.scalar_type());
        offset = offset.defined() ? offset + dw : dw;
      }
    }
    const at::Tensor yf = offset.defined() ? y.detach() + offset : y.detach();
    at::Tensor o8 = quantize(yf, l.s_out, 8).contiguous();
    double* p8 = o8.data_ptr<double>();
    for (const auto& fa : faults)
      if (fa.module == Module::o8 && training_faulty_.has(Module::o8))
        p8[fa.image * l.out_per_image + fa.element] = flip(p8[fa.image * l.out_per_image + fa.element], 8, fa.bit);
    const at::Tensor yc = at::clamp(y, -128 * l.s_out, 127 * l.s_out);
    return {yc + (o8.to(y.scalar_type()) * l.s_out - yc).detach()};
  };
}

int64_t QuantizedModel::vulnerable_bits(const ModuleSet& set) const {
  int64_t total = 0;
  for (const auto& l : layers_)
    for (Module m : kAllModules)
      if (set.has(m)) total += l.bits(m);
  return total;
}

void QuantizedModel::arm(const std::vector<Fault>& faults, int64_t start, int64_t count) {
  disarm();
  for (const auto& f : faults) {
    if (f.image < start || f.image >= start + count) continue;
    if (f.layer < 0 || f.layer >= static_cast<int>(layers_.size()))
      fail("quantised fault: layer {} out of range ({} quantised layers)", f.layer, layers_.size());
    const auto& l = layers_[static_cast<size_t>(f.layer)];
    if (f.element < 0 || f.element >= l.elements(f.module) || f.bit < 0 || f.bit >= width(f.module))
      fail("quantised fault: {} element {} bit {} lies outside layer '{}' ({} elements of {} bits)", to_string(f.module),
           f.element, f.bit, l.name, l.elements(f.module), width(f.module));
    Fault a = f;
    a.image = f.image - start;
    armed_[static_cast<size_t>(f.layer)].push_back(a);
  }
}

void QuantizedModel::disarm() {
  for (auto& a : armed_) a.clear();
}

ops::KernelFn QuantizedModel::integer_kernel(size_t li) {
  const auto* op = ops::find_op_entry(exec_.graph().nodes[layers_[li].node].op_type);
  return [this, li, op](const ops::Inputs& in, const ops::RunState& rs) -> ops::Outputs {
    auto& l = layers_[li];
    const auto& faults = armed_[li];
    const auto orig = float_kernels_[li];
    // i8: the quantised input, faulted between Q and DQ (codes with the model's zero point, if any).
    at::Tensor q = quantize(in[0], l.s_in, l.in_codes).contiguous();
    double* qp = q.data_ptr<double>();
    for (const auto& f : faults)
      if (f.module == Module::i8)
        qp[f.image * l.in_per_image + f.element] = flip(qp[f.image * l.in_per_image + f.element], l.in_codes, f.bit);
    // The accumulator reads codes minus the zero point (0 where the model pads: padding is x = 0).
    if (l.in_codes.zero_point != 0) q = (q - l.in_codes.zero_point).contiguous();
    // The exact integer accumulator of `x` (integers) with weight `w` (integers), see model.h.
    auto accumulate = [&](const at::Tensor& x, const at::Tensor& w) {
      ops::Inputs a(in.size());
      a[op->weight_input] = w;
      if (l.fan_in <= 1024) {
        a[0] = x.to(at::kFloat);
        a[op->weight_input] = w.to(at::kFloat);
        return orig(a, rs).at(0).to(at::kDouble);
      }
      if (l.fan_in <= 8192) {
        const at::Tensor hi = at::floor(x / 16.0), lo = x - 16.0 * hi;  // digits in [-8, 7] and [0, 15]
        a[op->weight_input] = w.to(at::kFloat);
        a[0] = hi.to(at::kFloat);
        const at::Tensor h = orig(a, rs).at(0).to(at::kDouble);
        a[0] = lo.to(at::kFloat);
        return h * 16.0 + orig(a, rs).at(0).to(at::kDouble);
      }
      a[0] = x;
      return orig(a, rs).at(0);
    };
    at::Tensor o32 = accumulate(q, l.w8).contiguous();
    const int64_t axis = l.channel_axis < 0 ? o32.dim() - 1 : l.channel_axis;
    auto channel_view = [&](const at::Tensor& t) {
      std::vector<int64_t> shape(static_cast<size_t>(o32.dim()), 1);
      shape[static_cast<size_t>(axis)] = -1;
      return t.reshape(shape);
    };
    if (l.b32.defined()) o32 += channel_view(l.b32);
    // w8 and b32 faults hit one inference: their effect is added to that image's accumulator.
    add_weight_and_bias_faults(l, faults, q, o32, config_.direct_faults, [&](int64_t image, int64_t element, double delta) {
      at::Tensor dw = at::zeros_like(l.w8);
      dw.view({-1})[element] = delta;
      o32.narrow(0, image, 1).add_(accumulate(q.narrow(0, image, 1), dw));
    });
    o32.clamp_(kInt32Min, kInt32Max);
    double* op32 = o32.data_ptr<double>();
    for (const auto& f : faults)
      if (f.module == Module::o32) {
        double& v = op32[f.image * l.out_per_image + f.element];
        v = flip(v, 32, f.bit);
      }
    if (recording_) {
      l.o32_lo = std::min(l.o32_lo, o32.min().item<double>());
      l.o32_hi = std::max(l.o32_hi, o32.max().item<double>());
    }
    if (config_.clamp_o32 && l.o32_lo <= l.o32_hi) o32.clamp_(l.o32_lo, l.o32_hi);
    if (observer_) observer_(l, q, o32);
    at::Tensor o8 = requantize(o32, l.multiplier, axis, l.out_codes).contiguous();
    double* p8 = o8.data_ptr<double>();
    for (const auto& f : faults)
      if (f.module == Module::o8) {
        double& v = p8[f.image * l.out_per_image + f.element];
        v = flip(v, l.out_codes, f.bit);
      }
    if (recording_) {
      l.o8_lo = std::min(l.o8_lo, o8.min().item<double>());
      l.o8_hi = std::max(l.o8_hi, o8.max().item<double>());
    }
    if (config_.clamp_o8 && l.o8_lo <= l.o8_hi) o8.clamp_(l.o8_lo, l.o8_hi);
    if (l.out_codes.zero_point != 0) return {((o8 - l.out_codes.zero_point) * l.s_out).to(in[0].scalar_type())};
    return {(o8 * l.s_out).to(in[0].scalar_type())};
  };
}

namespace {

/// splitmix64: a small, seedable generator for per-image draws.
struct SplitMix {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = next(); while (x >= limit);
    return x % n;
  }
};

}  // namespace

FaultSampler::FaultSampler(const QuantizedModel& model, const ModuleSet& set, const std::vector<bool>& sites,
                           const std::function<bool(const QuantLayer&, Module)>& include) {
  const auto& layers = model.layers();
  for (size_t l = 0; l < layers.size(); ++l)
    for (Module m : kAllModules) {
      if (!set.has(m) || layers[l].bits(m) == 0 || (!sites.empty() && !sites[l])) continue;
      if (include && !include(layers[l], m)) continue;
      blocks_.push_back({static_cast<int>(l), m, total_});
      total_ += layers[l].bits(m);
    }
}

std::vector<Fault> FaultSampler::draw(int64_t n, uint64_t seed, int64_t image) const {
  n = std::min(n, total_);
  SplitMix rng{seed ^ (0x5851f42d4c957f2dull * static_cast<uint64_t>(image + 1))};
  std::set<int64_t> picked;
  std::vector<Fault> out;
  while (static_cast<int64_t>(out.size()) < n) {
    const int64_t u = static_cast<int64_t>(rng.below(static_cast<uint64_t>(total_)));
    if (!picked.insert(u).second) continue;
    const auto it = std::upper_bound(blocks_.begin(), blocks_.end(), u, [](int64_t x, const Block& b) { return x < b.begin; }) - 1;
    const int64_t r = u - it->begin;
    out.push_back({image, it->layer, it->module, r / width(it->module), static_cast<int>(r % width(it->module))});
  }
  return out;
}

}  // namespace cnnfi::quant
