// ResNet-20 for CIFAR-sized inputs (He et al. 2016, section 4.2): a 3x3 stem of 16 channels,
// three stages of three basic blocks (16, 32, 64 channels; stride 2 at the start of stages 2
// and 3), global average pooling and one fully connected layer. Shortcuts are "option A":
// stride-2 subsampling (Slice with step 2) and zero channel padding (Pad), no weights, as in the
// ResNet-20 the seed-004 study used.
#include <limits>

#include "train/arch/arch.h"
#include "train/arch/layers.h"

namespace cnnfi::train {

namespace {

std::string block(Layers& L, const std::string& x, const std::string& name, int64_t cin, int64_t cout,
                  int64_t stride) {
  auto& b = L.builder();
  std::string y = L.relu(L.bn(L.conv(x, name + ".conv1", cin, cout, 3, stride, 1), name + ".bn1", cout), name + ".relu1");
  y = L.bn(L.conv(y, name + ".conv2", cout, cout, 3, 1, 1), name + ".bn2", cout);
  std::string shortcut = x;
  if (stride != 1 || cin != cout) {
    const int64_t big = std::numeric_limits<int64_t>::max();
    shortcut = b.node("Slice", name + ".shortcut.subsample",
                      {x, b.initializer(name + ".shortcut.starts", at::tensor({int64_t{0}, int64_t{0}})),
                       b.initializer(name + ".shortcut.ends", at::tensor({big, big})),
                       b.initializer(name + ".shortcut.axes", at::tensor({int64_t{2}, int64_t{3}})),
                       b.initializer(name + ".shortcut.steps", at::tensor({stride, stride}))});
    const int64_t p = (cout - cin) / 2;
    shortcut = b.node("Pad", name + ".shortcut.pad",
                      {shortcut, b.initializer(name + ".shortcut.pads", at::tensor({int64_t{0}, p, int64_t{0}, int64_t{0},
                                                                                    int64_t{0}, cout - cin - p, int64_t{0}, int64_t{0}}))});
  }
  return L.relu(L.add(y, shortcut, name + ".add"), name + ".relu2");
}

}  // namespace

onnx::ModelProto build_resnet20(const ArchSpec& s) {
  onnx_io::ModelBuilder b("resnet20");
  Layers L(b, s.seed);
  b.input("input", {-1, s.channels, s.height, s.width});
  std::string x = L.relu(L.bn(L.conv("input", "conv1", s.channels, 16, 3, 1, 1), "bn1", 16), "relu1");
  const int64_t widths[3] = {16, 32, 64};
  int64_t cin = 16;
  for (int stage = 0; stage < 3; ++stage)
    for (int i = 0; i < 3; ++i) {
      const int64_t stride = stage > 0 && i == 0 ? 2 : 1;
      x = block(L, x, "layer" + std::to_string(stage + 1) + "." + std::to_string(i), cin, widths[stage], stride);
      cin = widths[stage];
    }
  x = L.flatten(L.global_avgpool(x, "avgpool"), "flatten");
  L.linear(x, "linear", 64, s.classes, "logits");
  b.output("logits", {-1, s.classes});
  return b.finish();
}

}  // namespace cnnfi::train
