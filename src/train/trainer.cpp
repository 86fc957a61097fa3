#include "train/trainer.h"

#include <chrono>
#include <cmath>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "eval/metrics.h"
#include "util/error.h"
#include "util/progress.h"

namespace cnnfi::train {

namespace {

/// Random crop (after zero padding by `pad`) and optional flip of raw [0,1] images.
at::Tensor augment(const at::Tensor& raw, int pad, bool flip, at::Generator& gen) {
  at::Tensor x = raw;
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  if (pad > 0) {
    const at::Tensor padded = at::constant_pad_nd(x, {pad, pad, pad, pad}, 0);
    const at::Tensor off = at::randint(0, 2 * pad + 1, {n, 2}, gen, at::kLong);
    x = at::empty_like(raw);
    const int64_t* o = off.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) x[i].copy_(padded[i].narrow(1, o[2 * i], h).narrow(2, o[2 * i + 1], w));
  }
  if (flip) {
    const at::Tensor mask = at::rand({n}, gen) < 0.5;
    x = at::where(mask.reshape({n, 1, 1, 1}), x.flip({3}), x);
  }
  return x;
}

}  // namespace

void train(exec::Executor& exec, data::Source& train_set, const data::Preprocess& pre, const TrainConfig& cfg,
           const std::function<void(const EpochStats&)>& on_epoch) {
  if (cfg.epochs <= 0) fail("--epochs must be > 0, got {}", cfg.epochs);
  const int64_t n = train_set.size();
  const auto s = train_set.shape();
  at::Tensor images = at::empty({n, s.channels, s.height, s.width}, at::kFloat);
  at::Tensor labels = at::empty({n}, at::kLong);
  {
    Progress p("loading", n, "images");
    const int64_t chunk = 4096;
    for (int64_t i = 0; i < n; i += chunk) {
      const int64_t c = std::min(chunk, n - i);
      train_set.read(i, c, images.data_ptr<float>() + i * s.pixels(), labels.data_ptr<int64_t>() + i);
      p.update(i + c);
    }
  }
  at::Generator gen = at::detail::createCPUGenerator(cfg.seed);

  // Weight decay on tensors of rank >= 2 (conv and FC weights), as is usual.
  std::vector<at::Tensor> params = exec.trainable();
  std::vector<at::Tensor> velocity, second;  // momentum (SGD) / first and second moments (Adam)
  for (auto& p : params) velocity.push_back(at::zeros_like(p)), second.push_back(at::zeros_like(p));
  exec.set_training(true, gen);
  const int64_t steps_per_epoch = (n + cfg.batch - 1) / cfg.batch;
  const int64_t total_steps = steps_per_epoch * cfg.epochs;
  int64_t step = 0;
  for (int epoch = 1; epoch <= cfg.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    const at::Tensor perm = at::randperm(n, gen, at::kLong);
    double loss_sum = 0;
    int64_t correct = 0;
    double lr = cfg.lr;
    Progress progress("epoch " + std::to_string(epoch), n, "images");
    for (int64_t b = 0; b < n; b += cfg.batch) {
      const at::Tensor idx = perm.narrow(0, b, std::min(cfg.batch, n - b));
      const at::Tensor x = pre.apply(augment(images.index_select(0, idx), cfg.crop_pad, cfg.flip, gen));
      const at::Tensor y = labels.index_select(0, idx);
      lr = 0.5 * cfg.lr * (1 + std::cos(M_PI * static_cast<double>(step) / total_steps));
      if (cfg.before_step) cfg.before_step(step, y.size(0));
      const at::Tensor logits = exec.forward(x);
      if (step == 0) {  // the output's shape, then every label of the training set, once
        eval::check_labels(logits, y, 0, exec.graph().file);
        eval::check_labels(at::empty({n, logits.size(1)}), labels, 0, exec.graph().file);
      }
      const at::Tensor loss = at::nll_loss(at::log_softmax(logits, 1), y);
      for (auto& p : params)
        if (p.grad().defined()) p.mutable_grad().zero_();
      if (!std::isfinite(loss.item<double>()))
        fail("training diverged at step {} of epoch {} (the loss is {}); lower --lr or set --clip-grad", step, epoch,
             loss.item<double>());
      loss.backward();
      {
        at::NoGradGuard no_grad;
        if (cfg.clip_norm > 0) {
          double total = 0;
          for (auto& p : params)
            if (p.grad().defined()) total += p.grad().pow(2).sum().item<double>();
          const double norm = std::sqrt(total);
          if (norm > cfg.clip_norm)
            for (auto& p : params)
              if (p.grad().defined()) p.mutable_grad().mul_(cfg.clip_norm / norm);
        }
        for (size_t i = 0; i < params.size(); ++i) {
          at::Tensor g = params[i].grad();
          if (!g.defined()) continue;
          if (params[i].dim() >= 2) g = g + cfg.weight_decay * params[i];
          if (cfg.adam) {
            // Adam (beta 0.9, 0.999, eps 1e-8), bias-corrected: each weight moves about lr per
            // step whatever its gradient's scale (the latent weights of k-bit networks need that).
            const double t = static_cast<double>(step + 1);
            velocity[i].mul_(0.9).add_(g, 0.1);
            second[i].mul_(0.999).addcmul_(g, g, 0.001);
            const at::Tensor mhat = velocity[i] / (1 - std::pow(0.9, t));
            const at::Tensor vhat = second[i] / (1 - std::pow(0.999, t));
            params[i].sub_(lr * mhat / (vhat.sqrt() + 1e-8));
          } else {
            velocity[i].mul_(cfg.momentum).add_(g);
            params[i].sub_(lr * (g + cfg.momentum * velocity[i]));  // Nesterov
          }
        }
      }
      loss_sum += loss.item<double>() * y.size(0);
      correct += (logits.argmax(1) == y).sum().item<int64_t>();
      ++step;
      progress.update(b + y.size(0));
    }
    progress.finish();
    EpochStats st;
    st.epoch = epoch;
    st.loss = loss_sum / n;
    st.train_top1 = static_cast<double>(correct) / n;
    st.lr = lr;
    st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    on_epoch(st);
  }
  exec.set_training(false);
  for (auto& p : params) p.mutable_grad() = at::Tensor();
}

}  // namespace cnnfi::train
