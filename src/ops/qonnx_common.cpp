#include "ops/qonnx_common.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/ranges.h>

#include "util/error.h"

namespace cnnfi::ops::qonnx {

namespace {

struct RoundingName {
  const char* name;
  Rounding mode;
};
constexpr RoundingName kRoundings[] = {
    {"ROUND", Rounding::round_half_even}, {"HALF_EVEN", Rounding::round_half_even}, {"CEIL", Rounding::ceil},
    {"FLOOR", Rounding::floor},           {"UP", Rounding::up},                     {"DOWN", Rounding::down},
    {"HALF_UP", Rounding::half_up},       {"HALF_DOWN", Rounding::half_down},
};

std::string first_values(const at::Tensor& t) {
  const at::Tensor f = t.to(at::kDouble).reshape({-1});
  std::string s;
  for (int64_t i = 0; i < std::min<int64_t>(f.numel(), 4); ++i) s += (i ? ", " : "") + fmt::format("{}", f[i].item<double>());
  if (f.numel() > 4) s += fmt::format(", ... ({} values)", f.numel());
  return s;
}

}  // namespace

Rounding parse_rounding(const OpContext& ctx, const std::string& attr, const std::string& dflt) {
  std::string v = ctx.attr_string(attr, dflt);
  std::string up = v;
  std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const auto& r : kRoundings)
    if (up == r.name) return r.mode;
  ctx.error(fmt::format("attribute '{}' = '{}' is not a QONNX rounding mode (ROUND, CEIL, FLOOR, UP, DOWN, HALF_UP, "
                        "HALF_DOWN, either case)",
                        attr, v));
}

const char* rounding_name(Rounding r) {
  for (const auto& e : kRoundings)
    if (e.mode == r) return e.name;
  return "?";
}

at::Tensor apply_rounding(const at::Tensor& x, Rounding r) {
  switch (r) {
    case Rounding::round_half_even: return at::round(x);  // ATen rounds halves to even
    case Rounding::ceil: return at::ceil(x);
    case Rounding::floor: return at::floor(x);
    case Rounding::up: return at::sign(x) * at::ceil(at::abs(x));
    case Rounding::down: return at::trunc(x);
    case Rounding::half_up: return at::sign(x) * at::floor(at::abs(x) + 0.5);
    case Rounding::half_down: return at::sign(x) * at::ceil(at::abs(x) - 0.5);
  }
  return x;
}

IntRange int_range(int64_t bits, bool is_signed, bool narrow) {
  const double half = std::ldexp(1.0, static_cast<int>(bits) - 1);
  if (is_signed) return {-half + (narrow ? 1 : 0), half - 1};
  return {0, 2 * half - 1 - (narrow ? 1 : 0)};
}

int64_t check_bits(const std::string& where, const at::Tensor& t, const char* what) {
  if (t.numel() != 1)
    fail("{}: input '{}' has {} values; a bit width is one number", where, what, t.numel());
  const double b = t.to(at::kDouble).reshape({-1})[0].item<double>();
  if (!std::isfinite(b) || b != std::floor(b) || b < 1 || b > static_cast<double>(kMaxBits))
    fail("{}: input '{}' = {}: a bit width must be an integer in [1, {}]", where, what, b, kMaxBits);
  return static_cast<int64_t>(b);
}

void check_scale(const std::string& where, const at::Tensor& t, const char* what) {
  if (t.numel() == 0) fail("{}: input '{}' is empty; a scale needs at least one value", where, what);
  const at::Tensor d = t.to(at::kDouble);
  const at::Tensor bad = ~at::isfinite(d) | (d <= 0);
  if (bad.any().item<bool>()) {
    const double v = d.reshape({-1})[bad.reshape({-1}).nonzero()[0][0]].item<double>();
    fail("{}: input '{}' holds {} (values: {}); a scale must be finite and greater than 0", where, what, v,
         first_values(t));
  }
}

void check_zero_point(const std::string& where, const at::Tensor& t, const IntRange& range, const char* what) {
  const at::Tensor d = t.to(at::kDouble);
  const at::Tensor bad = ~at::isfinite(d) | (d < range.min) | (d > range.max);
  if (bad.any().item<bool>()) {
    const double v = d.reshape({-1})[bad.reshape({-1}).nonzero()[0][0]].item<double>();
    fail("{}: input '{}' holds {}, outside the quantiser's integer range [{}, {}]", where, what, v, range.min, range.max);
  }
}

void check_broadcast(const OpContext& ctx, size_t input, const char* what) {
  const auto xs = ctx.input_shape(0);
  const auto ps = ctx.input_shape(input);
  if (!xs || !ps) return;
  bool ok = ps->size() <= xs->size();
  for (size_t k = 0; ok && k < ps->size(); ++k) {
    const int64_t p = (*ps)[ps->size() - 1 - k];
    const int64_t x = (*xs)[xs->size() - 1 - k];
    ok = p == 1 || p == x || x < 0 || p < 0;
  }
  if (!ok)
    ctx.error(fmt::format("input '{}' has shape [{}], which does not broadcast against the input's [{}] (one value per "
                          "tensor, or per channel with the input's rank)",
                          what, fmt::join(*ps, ", "), fmt::join(*xs, ", ")));
}

std::optional<Inputs> constant_parameters(const OpContext& ctx) {
  Inputs consts(ctx.num_inputs());
  for (size_t i = 1; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    auto c = ctx.const_input(i);
    if (!c) return std::nullopt;
    consts[i] = *c;
  }
  return consts;
}

bool flag_attr(const OpContext& ctx, const std::string& name, int64_t dflt) {
  const int64_t v = ctx.attr_int(name, dflt);
  if (v != 0 && v != 1) ctx.error(fmt::format("attribute '{}' = {}: must be 0 or 1", name, v));
  return v == 1;
}

}  // namespace cnnfi::ops::qonnx
