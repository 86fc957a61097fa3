// LeNet-5 (LeCun et al. 1998) with ReLU and max pooling: conv5x5(6) - pool - conv5x5(16) - pool -
// FC120 - FC84 - FC(classes). 28x28 inputs get padding 2 in the first convolution, so both
// 28x28 and 32x32 inputs reach the 16x5x5 feature map of the original.
#include "train/arch/arch.h"
#include "train/arch/layers.h"
#include "util/error.h"

namespace cnnfi::train {

onnx::ModelProto build_lenet5(const ArchSpec& s) {
  if (s.height != s.width || (s.height != 28 && s.height != 32))
    fail("lenet5 takes 28x28 or 32x32 inputs, got {}x{}", s.height, s.width);
  onnx_io::ModelBuilder b("lenet5");
  Layers L(b, s.seed);
  b.input("input", {-1, s.channels, s.height, s.width});
  std::string x = L.conv("input", "conv1", s.channels, 6, 5, 1, s.height == 28 ? 2 : 0, 1, true);
  x = L.maxpool(L.relu(x, "relu1"), "pool1", 2, 2);
  x = L.conv(x, "conv2", 6, 16, 5, 1, 0, 1, true);
  x = L.maxpool(L.relu(x, "relu2"), "pool2", 2, 2);
  x = L.flatten(x, "flatten");
  x = L.relu(L.linear(x, "fc1", 16 * 5 * 5, 120), "relu3");
  x = L.relu(L.linear(x, "fc2", 120, 84), "relu4");
  L.linear(x, "fc3", 84, s.classes, "logits");
  b.output("logits", {-1, s.classes});
  return b.finish();
}

}  // namespace cnnfi::train
