// The CNV topology of FINN's BNN-PYNQ examples (cnvW1A1/cnvW2A2 of seed 002), in floating point:
// 3x3 valid convolutions 64-64-pool-128-128-pool-256-256, then FC 512-512-classes, each conv/FC
// followed by BatchNorm and ReLU. For 32x32 inputs the last convolution leaves 256x1x1.
#include "train/arch/arch.h"
#include "train/arch/layers.h"
#include "util/error.h"

namespace cnnfi::train {

onnx::ModelProto build_cnv(const ArchSpec& s) {
  if (s.height != 32 || s.width != 32) fail("cnv takes 32x32 inputs (use --pad 2 for 28x28 data), got {}x{}", s.height, s.width);
  onnx_io::ModelBuilder b("cnv");
  Layers L(b, s.seed);
  b.input("input", {-1, s.channels, s.height, s.width});
  std::string x = "input";
  const int64_t widths[6] = {64, 64, 128, 128, 256, 256};
  int64_t cin = s.channels;
  for (int i = 0; i < 6; ++i) {
    const std::string n = "conv" + std::to_string(i);
    x = L.relu(L.bn(L.conv(x, n, cin, widths[i], 3, 1, 0), n + ".bn", widths[i]), n + ".relu");
    cin = widths[i];
    if (i == 1 || i == 3) x = L.maxpool(x, "pool" + std::to_string(i / 2), 2, 2);
  }
  x = L.flatten(x, "flatten");
  x = L.relu(L.bn(L.linear(x, "fc0", 256, 512), "fc0.bn", 512), "fc0.relu");
  x = L.relu(L.bn(L.linear(x, "fc1", 512, 512), "fc1.bn", 512), "fc1.relu");
  L.linear(x, "fc2", 512, s.classes, "logits");
  b.output("logits", {-1, s.classes});
  return b.finish();
}

}  // namespace cnnfi::train
