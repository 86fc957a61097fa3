// MobileNetV2 (Sandler et al. 2018), CIFAR variant: stride-1 stem and first stages (as the
// common CIFAR ports do, for 32x32 inputs), inverted residual blocks with ReLU6, expansion 6,
// a 1x1 conv to 1280 channels, global average pooling and a classifier.
#include "train/arch/arch.h"
#include "train/arch/layers.h"

namespace cnnfi::train {

onnx::ModelProto build_mobilenetv2(const ArchSpec& s) {
  onnx_io::ModelBuilder b("mobilenetv2");
  Layers L(b, s.seed);
  b.input("input", {-1, s.channels, s.height, s.width});
  std::string x = L.relu6(L.bn(L.conv("input", "stem.conv", s.channels, 32, 3, 1, 1), "stem.bn", 32), "stem.relu");
  // (expansion t, output channels c, repeats n, first stride s); strides of the first two
  // downsampling stages are 1 for 32x32 inputs.
  const int cfg[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 1}, {6, 32, 3, 2}, {6, 64, 4, 2},
                         {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  int64_t cin = 32;
  int idx = 0;
  for (const auto& c : cfg)
    for (int i = 0; i < c[2]; ++i, ++idx) {
      const int64_t stride = i == 0 ? c[3] : 1, hidden = cin * c[0], cout = c[1];
      const std::string n = "block" + std::to_string(idx);
      std::string y = x;
      if (c[0] != 1) y = L.relu6(L.bn(L.conv(y, n + ".expand", cin, hidden, 1, 1, 0), n + ".expand_bn", hidden), n + ".expand_relu");
      y = L.relu6(L.bn(L.conv(y, n + ".dw", hidden, hidden, 3, stride, 1, hidden), n + ".dw_bn", hidden), n + ".dw_relu");
      y = L.bn(L.conv(y, n + ".project", hidden, cout, 1, 1, 0), n + ".project_bn", cout);
      x = stride == 1 && cin == cout ? L.add(x, y, n + ".add") : y;
      cin = cout;
    }
  x = L.relu6(L.bn(L.conv(x, "head.conv", cin, 1280, 1, 1, 0), "head.bn", 1280), "head.relu");
  x = L.flatten(L.global_avgpool(x, "avgpool"), "flatten");
  L.linear(x, "classifier", 1280, s.classes, "logits");
  b.output("logits", {-1, s.classes});
  return b.finish();
}

}  // namespace cnnfi::train
