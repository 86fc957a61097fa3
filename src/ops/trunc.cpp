// QONNX Trunc: drops the low bits of an integer-quantised tensor (Brevitas writes it after
// accumulating pools and sums). Three signatures, told apart by their number of inputs:
//   5 (version 1): X, scale, zeropt, in_bitwidth, out_bitwidth
//        q = round(X / scale + zeropt) / 2^(in_bitwidth - out_bitwidth);  Y = (rounding(q) - zeropt) * scale
//   6 (version 2): X, scale, zeropt, in_bitwidth, out_scale, out_bitwidth
//   7 (current):   X, scale, zeropt, in_bitwidth, out_scale, out_zeropt, out_bitwidth (out_zeropt unused,
//                  as in the QONNX reference)
//        t = 2^round(log2(out_scale / scale));  q = clamp(round(X / scale + zeropt) / t, min, max)
//        Y = (rounding(q) - zeropt / t) * out_scale,  [min, max] the range of (out_bitwidth, signed, narrow)
// rounding_mode defaults to FLOOR; round() is half to even.
#include <cmath>

#include "ops/qonnx_common.h"

namespace cnnfi::ops {

namespace {

struct TruncParams {
  at::Tensor scale, zero_point, out_scale, trunc_scale;
  qonnx::IntRange range;
};

}  // namespace

KernelFn make_Trunc(const OpContext& ctx) {
  const size_t n = ctx.num_inputs();
  if (n < 5 || n > 7)
    ctx.error(fmt::format("has {} inputs; Trunc takes 5 (X, scale, zeropt, in_bitwidth, out_bitwidth), 6 (… in_bitwidth, "
                          "out_scale, out_bitwidth) or 7 (… out_scale, out_zeropt, out_bitwidth)",
                          n));
  for (size_t i = 1; i < n; ++i)
    if (!ctx.has_input(i)) ctx.error(fmt::format("input {} is empty; every Trunc input is required", i));
  const bool v1 = n == 5;
  const bool is_signed = qonnx::flag_attr(ctx, "signed", 1);
  const bool narrow = qonnx::flag_attr(ctx, "narrow", 0);
  const qonnx::Rounding rounding = qonnx::parse_rounding(ctx, "rounding_mode", "FLOOR");
  qonnx::check_broadcast(ctx, 1, "scale");
  qonnx::check_broadcast(ctx, 2, "zeropt");
  const size_t out_bits_input = n - 1;
  const std::string where = ctx.where();
  auto params = [=](const Inputs& in) {
    TruncParams p;
    const int64_t in_bits = qonnx::check_bits(where, in[3], "in_bitwidth");
    const int64_t out_bits = qonnx::check_bits(where, in[out_bits_input], "out_bitwidth");
    if (out_bits > in_bits)
      fail("{}: out_bitwidth {} is wider than in_bitwidth {}; Trunc only drops bits", where, out_bits, in_bits);
    qonnx::check_scale(where, in[1], "scale");
    p.range = qonnx::int_range(in_bits, is_signed, narrow);
    qonnx::check_zero_point(where, in[2], p.range, "zeropt");
    p.scale = in[1].to(at::kFloat);
    p.zero_point = in[2].to(at::kFloat);
    if (v1) {
      p.out_scale = p.scale;
      p.trunc_scale = at::full({}, std::ldexp(1.0, static_cast<int>(in_bits - out_bits)), at::kFloat);
      p.range = {-INFINITY, INFINITY};  // version 1 does not clamp
    } else {
      qonnx::check_scale(where, in[4], "out_scale");
      p.out_scale = in[4].to(at::kFloat);
      p.trunc_scale = at::exp2(at::round(at::log2(p.out_scale / p.scale)));
      p.range = qonnx::int_range(out_bits, is_signed, narrow);
    }
    return p;
  };
  std::optional<TruncParams> fixed;
  if (const auto consts = qonnx::constant_parameters(ctx)) fixed = params(*consts);
  return [=](const Inputs& in, const RunState&) -> Outputs {
    const TruncParams p = fixed ? *fixed : params(in);
    const at::Tensor x = in[0].to(at::kFloat);
    at::Tensor q = at::round(x / p.scale + p.zero_point) / p.trunc_scale;
    if (!v1) q = at::clamp(q, p.range.min, p.range.max);
    q = qonnx::apply_rounding(q, rounding);
    const at::Tensor zp_out = v1 ? p.zero_point : p.zero_point / p.trunc_scale;
    return {(q - zp_out) * p.out_scale};
  };
}

}  // namespace cnnfi::ops
