// Executor overhead: images/s of ResNet-20 (CIFAR shape, 3x32x32) through cnnfi's ONNX executor
// and through an equivalent native libtorch nn::Module holding the same weights, at the same
// thread count, and their ratio. Usage: bench_executor [threads] [batch] [seconds per round]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <torch/torch.h>

#include "cli/common.h"
#include "util/allocator.h"
#include "exec/executor.h"
#include "onnx/import.h"
#include "train/arch/arch.h"

using namespace cnnfi;

namespace {

struct BlockImpl : torch::nn::Module {
  BlockImpl(int64_t cin, int64_t cout, int64_t stride)
      : conv1(torch::nn::Conv2dOptions(cin, cout, 3).stride(stride).padding(1).bias(false)),
        bn1(cout),
        conv2(torch::nn::Conv2dOptions(cout, cout, 3).stride(1).padding(1).bias(false)),
        bn2(cout),
        stride(stride),
        pad_lo((cout - cin) / 2),
        pad_hi(cout - cin - (cout - cin) / 2) {
    register_module("conv1", conv1);
    register_module("bn1", bn1);
    register_module("conv2", conv2);
    register_module("bn2", bn2);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = torch::relu(bn1(conv1(x)));
    y = bn2(conv2(y));
    torch::Tensor s = x;
    if (stride != 1 || pad_lo + pad_hi > 0)
      s = at::constant_pad_nd(x.slice(2, 0, c10::nullopt, stride).slice(3, 0, c10::nullopt, stride),
                              {0, 0, 0, 0, pad_lo, pad_hi}, 0);
    return torch::relu(y + s);
  }
  torch::nn::Conv2d conv1;
  torch::nn::BatchNorm2d bn1;
  torch::nn::Conv2d conv2;
  torch::nn::BatchNorm2d bn2;
  int64_t stride, pad_lo, pad_hi;
};
TORCH_MODULE(Block);

struct ResNet20Impl : torch::nn::Module {
  ResNet20Impl() : conv1(torch::nn::Conv2dOptions(3, 16, 3).padding(1).bias(false)), bn1(16), linear(64, 10) {
    register_module("conv1", conv1);
    register_module("bn1", bn1);
    const int64_t widths[3] = {16, 32, 64};
    int64_t cin = 16;
    for (int s = 0; s < 3; ++s)
      for (int i = 0; i < 3; ++i) {
        blocks.push_back(register_module("layer" + std::to_string(s + 1) + "_" + std::to_string(i),
                                         Block(cin, widths[s], s > 0 && i == 0 ? 2 : 1)));
        cin = widths[s];
      }
    register_module("linear", linear);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = torch::relu(bn1(conv1(x)));
    for (auto& b : blocks) y = b->forward(y);
    return linear(y.mean({2, 3}));
  }
  torch::nn::Conv2d conv1;
  torch::nn::BatchNorm2d bn1;
  std::vector<Block> blocks;
  torch::nn::Linear linear;
};
TORCH_MODULE(ResNet20);

/// Copies the executor's weights into the module (names map 1:1 but for the block separators).
void load_weights(ResNet20& net, const exec::Executor& ex) {
  torch::NoGradGuard ng;
  auto params = net->named_parameters(true);
  auto buffers = net->named_buffers(true);
  auto copy = [&](const std::string& module_name, torch::Tensor& dst) {
    std::string onnx_name = module_name;
    for (int s = 1; s <= 3; ++s)
      for (int i = 0; i < 3; ++i) {
        const std::string from = "layer" + std::to_string(s) + "_" + std::to_string(i);
        if (onnx_name.rfind(from, 0) == 0)
          onnx_name = "layer" + std::to_string(s) + "." + std::to_string(i) + onnx_name.substr(from.size());
      }
    dst.copy_(ex.weight(onnx_name));
  };
  for (auto& p : params) copy(p.key(), p.value());
  for (auto& b : buffers)
    if (b.key().find("num_batches_tracked") == std::string::npos) copy(b.key(), b.value());
}

template <typename F>
double images_per_s(F&& f, int64_t batch, double seconds) {
  f();  // warm-up
  int64_t images = 0;
  const auto t0 = std::chrono::steady_clock::now();
  double el = 0;
  while (el < seconds) {
    f();
    images += batch;
    el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return images / el;
}

}  // namespace

int main(int argc, char** argv) {
  tune_allocator();
  const int threads = argc > 1 ? std::atoi(argv[1]) : 0;
  const int64_t batch = argc > 2 ? std::atoll(argv[2]) : 128;
  const double seconds = argc > 3 ? std::atof(argv[3]) : 3.0;
  cli::set_threads(threads);
  train::ArchSpec spec;
  spec.channels = 3;
  spec.height = spec.width = 32;
  exec::Executor ex(onnx_io::load_model_proto(train::build_resnet20(spec), "resnet20"));
  ResNet20 net;
  net->eval();
  load_weights(net, ex);
  const torch::Tensor x = torch::randn({batch, 3, 32, 32});
  {
    torch::NoGradGuard ng;
    const double diff = (net->forward(x) - ex.forward(x)).abs().max().item<double>();
    std::printf("check: max |native - executor| = %.3g\n", diff);
    if (diff > 1e-4) return 1;
  }
  double best_exec = 0, best_native = 0;
  for (int round = 0; round < 3; ++round) {  // interleaved rounds; best of each
    best_exec = std::max(best_exec, images_per_s([&] { ex.forward(x); }, batch, seconds));
    best_native = std::max(best_native, images_per_s([&] {
                                           torch::NoGradGuard ng;
                                           net->forward(x);
                                         }, batch, seconds));
  }
  std::printf("ResNet-20 3x32x32, batch %lld, %d threads\n", static_cast<long long>(batch), at::get_num_threads());
  std::printf("  native libtorch module: %8.1f images/s\n", best_native);
  std::printf("  cnnfi ONNX executor:    %8.1f images/s\n", best_exec);
  std::printf("  native / executor time ratio: %.3f (target <= 1.15)\n", best_native / best_exec);
  return 0;
}
