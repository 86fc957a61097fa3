// Number formats as stored in memory. A format encodes each value of a tensor to a word of
// `width()` bits (bit 0 = LSB), names the word's bit fields, and decodes words back. Faults are
// applied to words (fault/fault_model.h), so every format gets every fault model.
//
// Adding a format: one file repr/<name>.cpp defining `std::unique_ptr<Format> make_<id>()` and
// one line CNNFI_FORMAT(id, "name") in repr/format_list.def.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace cnnfi::repr {

/// Bits [lo, hi] of a word (inclusive, 0 = LSB) and their name: sign, exponent, mantissa for
/// floats; sign, integer, fraction for fixed point; sign, magnitude for integers.
struct BitField {
  std::string name;
  int lo = 0;
  int hi = 0;
};

/// Per-tensor parameters a format chooses from the golden values of one tensor.
struct Params {
  int frac_len = 0;           ///< fixed point: fractional length (may be negative)
  std::vector<float> scale;   ///< integer formats: one scale, or one per output channel
  int64_t channel_size = 0;   ///< per-channel formats: elements per output channel (dim 0)
  std::vector<float> zero_point;  ///< model formats: one zero point, or one per scale; empty = 0
  float scale_of(int64_t index) const {
    return scale.size() == 1 ? scale[0] : scale[static_cast<size_t>(index / channel_size)];
  }
  float zero_of(int64_t index) const {
    return zero_point.empty() ? 0.0f
           : zero_point.size() == 1 ? zero_point[0]
                                    : zero_point[static_cast<size_t>(index / channel_size)];
  }
};

class Format {
 public:
  virtual ~Format() = default;
  virtual std::string name() const = 0;
  virtual int width() const = 0;
  /// The bit fields, from the LSB up; may depend on the parameters (fixed point).
  virtual std::vector<BitField> fields(const Params& p) const = 0;
  /// Parameters covering `golden` (e.g. the fractional length for max|w|, an INT8 scale).
  virtual Params choose(const at::Tensor& golden) const { return {}; }
  /// Element `index` of a tensor whose parameters are `p`.
  virtual uint32_t encode(float value, const Params& p, int64_t index) const = 0;
  virtual float decode(uint32_t word, const Params& p, int64_t index) const = 0;

  /// All words of a tensor (int64 tensor of the same shape holding the unsigned words).
  at::Tensor encode_tensor(const at::Tensor& t, const Params& p) const;
  at::Tensor decode_tensor(const at::Tensor& words, const Params& p) const;
  /// decode(encode(t)): the values the hardware would hold.
  at::Tensor store(const at::Tensor& t, const Params& p) const;
  /// Bits of field `name` ("sign", "exponent", "exponent-msb", "mantissa", "integer",
  /// "fraction", "magnitude"); throws naming the format's fields if it has none such.
  std::vector<int> field_bits(const std::string& name, const Params& p) const;
};

/// The formats, by name: fp32, fp16, bf16, q8, q16, int8, int8-channel, binary, int2, int4; and the
/// model's own integer storage (repr/model_int.cpp): model:bipolar, model:int<k>[-narrow],
/// model:uint<k>[-narrow] for k in 1..32, and minifloats model:e<E>m<M>-b<bias>[-inf][-nan] (QONNX
/// FloatQuant), whose scales and zero points come from the model.
const Format& find_format(const std::string& name);
/// True for the model:* formats (their parameters come from graph::IntegerStorage, not choose()).
bool is_model_format(const std::string& name);
std::vector<std::string> format_names();

}  // namespace cnnfi::repr
