// QONNX Quant (renamed IntQuant in newer QONNX releases; both names are accepted): integer
// quantisation with inputs (X, scale, zero point, bit width) and attributes signed (1), narrow (0),
// rounding_mode ("ROUND"):
//   q = rounding(clamp(X / scale + zeropt, min, max));  Y = (q - zeropt) * scale
// with [min, max] the integer range of (bit width, signed, narrow). Scales and zero points are per
// tensor or broadcast per channel. As in the QONNX reference implementation (and so in every
// model Brevitas exports), a signed 1-bit Quant is bipolar: q = +1 where X / scale + zeropt >= 0,
// else -1.
#include "ops/qonnx_common.h"

namespace cnnfi::ops {

namespace {

struct QuantParams {
  at::Tensor scale, zero_point;
  int64_t bits = 0;
  qonnx::IntRange range;
};

QuantParams quant_params(const std::string& where, const at::Tensor& scale, const at::Tensor& zp, const at::Tensor& bits,
                         bool is_signed, bool narrow) {
  QuantParams p;
  p.bits = qonnx::check_bits(where, bits, "bitwidth");
  p.range = qonnx::int_range(p.bits, is_signed, narrow);
  qonnx::check_scale(where, scale, "scale");
  if (p.bits == 1 && is_signed) {
    qonnx::check_zero_point(where, zp, {-1, 1}, "zeropt");
  } else {
    qonnx::check_zero_point(where, zp, p.range, "zeropt");
  }
  p.scale = scale.to(at::kFloat);
  p.zero_point = zp.to(at::kFloat);
  return p;
}

KernelFn make_quant(const OpContext& ctx) {
  if (ctx.num_inputs() != 4 || !ctx.has_input(1) || !ctx.has_input(2) || !ctx.has_input(3))
    ctx.error(fmt::format("has {} inputs; Quant takes 4: X, scale, zeropt, bitwidth", ctx.num_inputs()));
  const bool is_signed = qonnx::flag_attr(ctx, "signed", 1);
  const bool narrow = qonnx::flag_attr(ctx, "narrow", 0);
  const qonnx::Rounding rounding = qonnx::parse_rounding(ctx, "rounding_mode", "ROUND");
  qonnx::check_broadcast(ctx, 1, "scale");
  qonnx::check_broadcast(ctx, 2, "zeropt");
  const std::string where = ctx.where();
  std::optional<QuantParams> fixed;
  if (const auto c = qonnx::constant_parameters(ctx)) fixed = quant_params(where, (*c)[1], (*c)[2], (*c)[3], is_signed, narrow);
  return [=](const Inputs& in, const RunState&) -> Outputs {
    const QuantParams p = fixed ? *fixed : quant_params(where, in[1], in[2], in[3], is_signed, narrow);
    const at::Tensor x = in[0].to(at::kFloat);
    at::Tensor q = x / p.scale + p.zero_point;
    if (p.bits == 1 && is_signed) q = at::where(q >= 0, at::ones_like(q), -at::ones_like(q));
    else q = qonnx::apply_rounding(at::clamp(q, p.range.min, p.range.max), rounding);
    return {(q - p.zero_point) * p.scale};
  };
}

}  // namespace

KernelFn make_Quant(const OpContext& ctx) { return make_quant(ctx); }
KernelFn make_IntQuant(const OpContext& ctx) { return make_quant(ctx); }

}  // namespace cnnfi::ops
