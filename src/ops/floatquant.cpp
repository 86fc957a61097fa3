// QONNX FloatQuant: minifloat quantisation (FP8 E4M3, E5M2, ...) with inputs (X, scale,
// exponent_bitwidth, mantissa_bitwidth, exponent_bias, max_val) and attributes has_infinity (0),
// has_nan (0), has_subnormal (1), saturation (1), rounding_mode ("ROUND"), signed (1):
//   x = X / scale;  e = max(floor(log2(|x| + tiny)) - m, 1 - bias - m)
//   q = clamp(2^e * rounding(x / 2^e), -M, M) (0 to M unsigned);  Y = q * scale
// with M = min(max_val, (2 - 2^-m) * 2^(2^E - 1 - bias)). Without saturation, values past M become
// +-inf when the format has infinities, NaN when it has NaN only (QONNX's reference behaviour);
// a format with neither must saturate. has_subnormal only informs back ends, as the specification says.
#include <cmath>

#include "ops/qonnx_common.h"

namespace cnnfi::ops {

namespace {

int64_t small_int(const std::string& where, const at::Tensor& t, const char* what, int64_t lo, int64_t hi) {
  if (t.numel() != 1) fail("{}: input '{}' has {} values; cnnfi takes one {} per FloatQuant node", where, what, t.numel(), what);
  const double v = t.to(at::kDouble).reshape({-1})[0].item<double>();
  if (!std::isfinite(v) || v != std::floor(v) || v < static_cast<double>(lo) || v > static_cast<double>(hi))
    fail("{}: input '{}' = {}: must be an integer in [{}, {}]", where, what, v, lo, hi);
  return static_cast<int64_t>(v);
}

struct FloatParams {
  at::Tensor scale, max_value;
  double min_internal = 0;
  int64_t mantissa = 0;
};

}  // namespace

KernelFn make_FloatQuant(const OpContext& ctx) {
  const size_t n = ctx.num_inputs();
  if (n < 5 || n > 6)
    ctx.error(fmt::format("has {} inputs; FloatQuant takes X, scale, exponent_bitwidth, mantissa_bitwidth, exponent_bias "
                          "and max_val (optional)",
                          n));
  const bool is_signed = qonnx::flag_attr(ctx, "signed", 1);
  const bool saturation = qonnx::flag_attr(ctx, "saturation", 1);
  const bool has_inf = qonnx::flag_attr(ctx, "has_infinity", 0);
  const bool has_nan = qonnx::flag_attr(ctx, "has_nan", 0);
  qonnx::flag_attr(ctx, "has_subnormal", 1);
  if (!saturation && !has_inf && !has_nan)
    ctx.error("saturation = 0 but the format has neither infinities nor NaN: values past max_val have nowhere to go");
  const qonnx::Rounding rounding = qonnx::parse_rounding(ctx, "rounding_mode", "ROUND");
  qonnx::check_broadcast(ctx, 1, "scale");
  const bool has_max = ctx.has_input(5);
  const std::string where = ctx.where();
  auto params = [=](const Inputs& in) {
    FloatParams p;
    qonnx::check_scale(where, in[1], "scale");
    p.scale = in[1].to(at::kFloat);
    const int64_t e = small_int(where, in[2], "exponent_bitwidth", 1, 8);
    p.mantissa = small_int(where, in[3], "mantissa_bitwidth", 0, 23);
    const int64_t bias = small_int(where, in[4], "exponent_bias", -127, 255);
    p.min_internal = static_cast<double>(1 - bias - p.mantissa);
    const double format_max = (2.0 - std::ldexp(1.0, -static_cast<int>(p.mantissa))) *
                              std::ldexp(1.0, static_cast<int>((int64_t{1} << e) - 1 - bias));
    if (!std::isfinite(format_max) || format_max > 3.4e38)
      fail("{}: E{}M{} with exponent bias {} reaches {} and overflows float32", where, e, p.mantissa, bias, format_max);
    p.max_value = at::full({}, format_max, at::kFloat);
    if (has_max) {
      qonnx::check_scale(where, in[5], "max_val");
      p.max_value = at::minimum(p.max_value, in[5].to(at::kFloat));
    }
    return p;
  };
  std::optional<FloatParams> fixed;
  if (const auto consts = qonnx::constant_parameters(ctx)) fixed = params(*consts);
  return [=](const Inputs& in, const RunState&) -> Outputs {
    const FloatParams p = fixed ? *fixed : params(in);
    const at::Tensor x = in[0].to(at::kFloat) / p.scale;
    const float tiny = std::numeric_limits<float>::min();
    at::Tensor internal = at::floor(at::log2(at::abs(x) + tiny)) - static_cast<float>(p.mantissa);
    internal = at::exp2(at::clamp_min(internal, p.min_internal));
    at::Tensor q = internal * qonnx::apply_rounding(x / internal, rounding);
    const at::Tensor lo = is_signed ? -p.max_value : at::zeros_like(p.max_value);
    const at::Tensor inf_mask = at::isinf(q), above = q > p.max_value, below = q < lo;
    q = at::maximum(at::minimum(q, p.max_value), lo);
    if (!saturation) {
      if (has_inf) {
        q = at::where(above, at::full({}, INFINITY, at::kFloat), q);
        q = at::where(below, at::full({}, -INFINITY, at::kFloat), q);
      } else {
        q = at::where(above | below | inf_mask, at::full({}, NAN, at::kFloat), q);
      }
    }
    return {q * p.scale};
  };
}

}  // namespace cnnfi::ops
