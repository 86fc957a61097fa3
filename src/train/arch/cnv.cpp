// The CNV topology of FINN's BNN-PYNQ examples (cnvW1A1/cnvW2A2 of seed 002): 3x3 valid
// convolutions 64-64-pool-128-128-pool-256-256, then FC 512-512-classes, each conv/FC followed by
// BatchNorm. For 32x32 inputs the last convolution leaves 256x1x1.
//   float (weight_bits = act_bits = 32): ReLU after each BatchNorm.
//   k-bit (seed 002): the weights of every conv/FC are quantised in the graph from latent float
//     weights initialised uniform in [-1, 1]: Sign (1 bit: -1/+1) or Round(Clip(w, -1, 1)) (2 bits:
//     -1/0/+1); the activations after each BatchNorm are Sign (1 bit) or Round(Clip(x, -1, 1))
//     (2 bits) instead of ReLU; the last FC gets a BatchNorm too (FINN's TensorNorm) so the
//     logits keep a trainable scale. Sign and Round train with straight-through gradients
//     (ops/sign.cpp, ops/round.cpp). Export folds the weight quantisers into the initialisers
//     (train/kbit.h), so the shipped model holds the k-bit values as plain Conv/Gemm weights.
// `width` scales every layer's channels (a width-scaled CNV where the full one would not train in
// time on the machine at hand; the model card says which).
#include <cmath>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "train/arch/arch.h"
#include "train/arch/layers.h"
#include "util/error.h"

namespace cnnfi::train {

namespace {

class Quant {
 public:
  Quant(onnx_io::ModelBuilder& b, const ArchSpec& s) : b_(b), s_(s), gen_(at::detail::createCPUGenerator(s.seed + 7)) {}
  bool weights() const { return s_.weight_bits < 32; }
  bool acts() const { return s_.act_bits < 32; }
  /// k-bit codes of x: Sign (1 bit) or Round(Clip(x, -1, 1)) (2 bits).
  std::string codes(const std::string& x, const std::string& name, int bits) {
    if (bits == 1) return b_.node("Sign", name + ".sign", {x});
    if (lo_.empty()) {
      // Clip bounds as folded constants (Cast of integer initialisers): not trainable weights.
      lo_ = b_.node("Cast", "quant.lo", {b_.initializer("quant.lo_int", at::full({}, -1, at::kLong))},
                    {onnx_io::Attr::Int("to", 1)});
      hi_ = b_.node("Cast", "quant.hi", {b_.initializer("quant.hi_int", at::full({}, 1, at::kLong))},
                    {onnx_io::Attr::Int("to", 1)});
    }
    return b_.node("Round", name + ".round", {b_.node("Clip", name + ".clip", {x, lo_, hi_})});
  }
  /// A k-bit weight: the latent initialiser (uniform in [-1, 1]) and its quantiser.
  std::string weight(const std::string& name, const std::vector<int64_t>& shape) {
    const at::Tensor w = at::empty(shape).uniform_(-1.0, 1.0, gen_);
    return codes(b_.initializer(name + ".weight", w), name + ".wq", s_.weight_bits);
  }

 private:
  onnx_io::ModelBuilder& b_;
  const ArchSpec& s_;
  at::Generator gen_;
  std::string lo_, hi_;
};

}  // namespace

onnx::ModelProto build_cnv(const ArchSpec& s) {
  if (s.height != 32 || s.width != 32) fail("cnv takes 32x32 inputs (use --pad 2 for 28x28 data), got {}x{}", s.height, s.width);
  for (int bits : {s.weight_bits, s.act_bits})
    if (bits != 1 && bits != 2 && bits != 32) fail("cnv: weight and activation bits must be 1, 2 or 32 (float), got {}", bits);
  if (!(s.width_mult > 0 && s.width_mult <= 4)) fail("cnv: width multiplier {} is not in (0, 4]", s.width_mult);
  onnx_io::ModelBuilder b("cnv");
  Layers L(b, s.seed);
  Quant Q(b, s);
  auto ch = [&](int64_t c) { return std::max<int64_t>(1, std::llround(static_cast<double>(c) * s.width_mult)); };
  b.input("input", {-1, s.channels, s.height, s.width});
  std::string x = "input";
  const int64_t widths[6] = {ch(64), ch(64), ch(128), ch(128), ch(256), ch(256)};
  // BatchNorm, then the activation: ReLU or the k-bit quantiser.
  auto act = [&](const std::string& y, const std::string& n, int64_t c) {
    const std::string z = L.bn(y, n + ".bn", c);
    return Q.acts() ? Q.codes(z, n + ".act", s.act_bits) : L.relu(z, n + ".relu");
  };
  auto conv = [&](const std::string& in, const std::string& n, int64_t cin, int64_t cout) {
    if (!Q.weights()) return L.conv(in, n, cin, cout, 3, 1, 0);
    return b.node("Conv", n, {in, Q.weight(n, {cout, cin, 3, 3})},
                  {onnx_io::Attr::Ints("kernel_shape", {3, 3}), onnx_io::Attr::Ints("strides", {1, 1}),
                   onnx_io::Attr::Ints("pads", {0, 0, 0, 0}), onnx_io::Attr::Int("group", 1)});
  };
  auto linear = [&](const std::string& in, const std::string& n, int64_t fin, int64_t fout, const std::string& out = "") {
    if (!Q.weights()) return L.linear(in, n, fin, fout, out);
    return b.node("Gemm", n, {in, Q.weight(n, {fout, fin})}, {onnx_io::Attr::Int("transB", 1)}, out);
  };
  int64_t cin = s.channels;
  for (int i = 0; i < 6; ++i) {
    const std::string n = "conv" + std::to_string(i);
    x = act(conv(x, n, cin, widths[i]), n, widths[i]);
    cin = widths[i];
    if (i == 1 || i == 3) x = L.maxpool(x, "pool" + std::to_string(i / 2), 2, 2);
  }
  x = L.flatten(x, "flatten");
  x = act(linear(x, "fc0", cin, ch(512)), "fc0", ch(512));
  x = act(linear(x, "fc1", ch(512), ch(512)), "fc1", ch(512));
  if (Q.weights() || Q.acts()) {
    // FINN's TensorNorm: a BatchNorm on the logits of the k-bit last layer.
    const std::string z = L.bn(linear(x, "fc2", ch(512), s.classes), "fc2.bn", s.classes);
    b.node("Identity", "logits", {z}, {}, "logits");
  } else {
    linear(x, "fc2", ch(512), s.classes, "logits");
  }
  b.output("logits", {-1, s.classes});
  return b.finish();
}

}  // namespace cnnfi::train
