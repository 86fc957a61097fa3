// CCDF, the small CNN of seed 003: two convolutions, one dropout layer and one fully connected
// layer: conv5x5(16) - ReLU - pool - conv5x5(32) - ReLU - pool - dropout(0.5) - FC(classes).
// Every layer has a bias and there is no BatchNorm, so its integer model is its trained model.
#include "train/arch/arch.h"
#include "train/arch/layers.h"
#include "util/error.h"

namespace cnnfi::train {

onnx::ModelProto build_ccdf(const ArchSpec& s) {
  if (s.height != s.width || (s.height != 28 && s.height != 32))
    fail("ccdf takes 28x28 or 32x32 inputs, got {}x{}", s.height, s.width);
  onnx_io::ModelBuilder b("ccdf");
  Layers L(b, s.seed);
  b.input("input", {-1, s.channels, s.height, s.width});
  std::string x = L.maxpool(L.relu(L.conv("input", "conv1", s.channels, 16, 5, 1, 0, 1, true), "relu1"), "pool1", 2, 2);
  x = L.maxpool(L.relu(L.conv(x, "conv2", 16, 32, 5, 1, 0, 1, true), "relu2"), "pool2", 2, 2);
  const int64_t side = ((s.height - 4) / 2 - 4) / 2;
  x = L.flatten(L.dropout(x, "dropout"), "flatten");
  L.linear(x, "fc", 32 * side * side, s.classes, "logits");
  b.output("logits", {-1, s.classes});
  return b.finish();
}

}  // namespace cnnfi::train
