// ONNX ConvTranspose: explicit pads, output_padding, output_shape and auto_pad.
// Symmetric pads run as one libtorch transposed convolution; every other case computes the
// full (unpadded) result and crops it to the ONNX output window.
#include "ops/spatial.h"

namespace cnnfi::ops {

namespace {

/// Floor division, as the ONNX reference (Python //) computes pads.
int64_t floordiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

KernelFn make_ConvTranspose(const OpContext& ctx) {
  std::vector<int64_t> kernel;
  if (auto s = ctx.input_shape(1); s && s->size() > 2) kernel.assign(s->begin() + 2, s->end());
  const Window w = read_window(ctx, kernel);
  const size_t k = w.kernel.size();
  const int64_t groups = ctx.attr_int("group", 1);
  const auto out_pad = ctx.attr_ints("output_padding", std::vector<int64_t>(k, 0));
  const auto out_shape = ctx.attr_ints("output_shape", {});
  return [w, k, groups, out_pad, out_shape](const Inputs& in, const RunState&) -> Outputs {
    const at::Tensor& x = in[0];
    const at::Tensor bias = in.size() > 2 ? in[2] : at::Tensor();
    const std::vector<int64_t> zero(k, 0);
    if (out_shape.empty() && (w.auto_pad == "NOTSET" || w.auto_pad == "VALID") && symmetric(w.pads)) {
      const auto pads = w.auto_pad == "VALID" ? zero : first_half(w.pads);
      return {at::convolution(x, in[1], bias, w.strides, pads, w.dilations, true, out_pad, groups)};
    }
    at::Tensor y = at::convolution(x, in[1], at::Tensor(), w.strides, zero, w.dilations, true, zero, groups);
    std::vector<int64_t> begin(k), target(k);
    for (size_t i = 0; i < k; ++i) {
      const int64_t full = y.size(2 + i) + out_pad[i];
      if (!out_shape.empty() || w.auto_pad == "SAME_UPPER" || w.auto_pad == "SAME_LOWER") {
        const int64_t want = !out_shape.empty() ? out_shape[out_shape.size() - k + i] : x.size(2 + i) * w.strides[i];
        const int64_t total = full - want;  // may be negative: the output then extends past the data
        const int64_t half = floordiv(total, 2);
        begin[i] = w.auto_pad == "SAME_UPPER" ? half : total - half;
        target[i] = want;
      } else {
        begin[i] = w.auto_pad == "VALID" ? 0 : w.pads[i];
        target[i] = full - begin[i] - (w.auto_pad == "VALID" ? 0 : w.pads[i + k]);
      }
    }
    std::vector<int64_t> extra;  // output_padding rows at the end get no contribution
    for (size_t i = k; i-- > 0;) {
      extra.push_back(0);
      extra.push_back(out_pad[i]);
    }
    y = at::constant_pad_nd(y, extra, 0);
    // Crop to [begin, begin + target), padding with zeros where that window leaves the data.
    std::vector<int64_t> grow;
    for (size_t i = k; i-- > 0;) {
      grow.push_back(std::max<int64_t>(0, -begin[i]));
      grow.push_back(std::max<int64_t>(0, begin[i] + target[i] - y.size(2 + i)));
    }
    y = at::constant_pad_nd(y, grow, 0);
    for (size_t i = 0; i < k; ++i) y = y.narrow(2 + i, std::max<int64_t>(0, begin[i]), target[i]);
    if (bias.defined()) {
      std::vector<int64_t> shape(y.dim(), 1);
      shape[1] = -1;
      y = y + bias.reshape(shape);
    }
    return {y.contiguous()};
  };
}

}  // namespace cnnfi::ops
