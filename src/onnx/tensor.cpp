#include "onnx/tensor.h"

#include <algorithm>

#include <cstring>

#include <ATen/ATen.h>
#include <onnx/onnx_pb.h>

#include "util/error.h"

namespace cnnfi::onnx_io {

using onnx::TensorProto;

c10::ScalarType to_scalar_type(int onnx_type, const std::string& where) {
  switch (onnx_type) {
    case TensorProto::FLOAT: return at::kFloat;
    case TensorProto::DOUBLE: return at::kDouble;
    case TensorProto::FLOAT16: return at::kHalf;
    case TensorProto::BFLOAT16: return at::kBFloat16;
    case TensorProto::INT8: return at::kChar;
    case TensorProto::INT16: return at::kShort;
    case TensorProto::INT32: return at::kInt;
    case TensorProto::INT64: return at::kLong;
    case TensorProto::UINT8: return at::kByte;
    case TensorProto::BOOL: return at::kBool;
    default: break;
  }
  fail("{}: ONNX element type {} ({}) is not supported", where, onnx_type,
       TensorProto::DataType_IsValid(onnx_type)
           ? TensorProto::DataType_Name(static_cast<TensorProto::DataType>(onnx_type))
           : std::string("invalid"));
}

int to_onnx_type(c10::ScalarType t) {
  switch (t) {
    case at::kFloat: return TensorProto::FLOAT;
    case at::kDouble: return TensorProto::DOUBLE;
    case at::kHalf: return TensorProto::FLOAT16;
    case at::kBFloat16: return TensorProto::BFLOAT16;
    case at::kChar: return TensorProto::INT8;
    case at::kShort: return TensorProto::INT16;
    case at::kInt: return TensorProto::INT32;
    case at::kLong: return TensorProto::INT64;
    case at::kByte: return TensorProto::UINT8;
    case at::kBool: return TensorProto::BOOL;
    default: fail("tensor type {} cannot be written to ONNX", c10::toString(t));
  }
}

namespace {

template <typename Src>
at::Tensor from_field(const Src& field, at::ScalarType field_type, at::ScalarType type,
                      const std::vector<int64_t>& dims) {
  using T = typename Src::value_type;
  std::vector<T> copy(field.begin(), field.end());
  at::Tensor t = at::empty({static_cast<int64_t>(copy.size())}, field_type);
  if (!copy.empty()) std::memcpy(t.data_ptr(), copy.data(), copy.size() * sizeof(T));
  return t.to(type).reshape(dims);
}

}  // namespace

at::Tensor to_tensor(const TensorProto& t, const std::string& file) {
  const std::string where = fmt::format("{}: tensor '{}'", file, t.name());
  if (t.data_location() == TensorProto::EXTERNAL)
    fail("{}: external data is not supported; save the model with all tensors inside the file", where);
  const auto type = to_scalar_type(t.data_type(), where);
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  int64_t numel = 1;
  if (dims.size() > 16) fail("{}: rank {}: cnnfi reads tensors of rank 16 at most", where, dims.size());
  // The element count must be what the data holds; checked before anything is allocated.
  bool overflow = false;
  for (auto d : dims) {
    if (d < 0) fail("{}: negative dimension {}", where, d);
    if (d > 0 && numel > (int64_t{1} << 48) / d) overflow = true;
    else numel *= d;
  }
  if (overflow && std::find(dims.begin(), dims.end(), 0) == dims.end())
    fail("{}: its shape {} needs more data than any model holds", where, c10::str(dims));
  if (overflow) numel = 0;
  if (t.has_raw_data()) {
    const size_t bytes = static_cast<size_t>(numel) * c10::elementSize(type);
    if (t.raw_data().size() != bytes)
      fail("{}: raw data holds {} bytes, its shape needs {} (truncated or corrupt model)", where,
           t.raw_data().size(), bytes);
    at::Tensor out = at::empty(dims, type);
    if (bytes) std::memcpy(out.data_ptr(), t.raw_data().data(), bytes);
    return out;
  }
  at::Tensor out;
  int64_t have = 0;
  switch (t.data_type()) {
    case TensorProto::FLOAT:
      have = t.float_data_size();
      out = from_field(t.float_data(), at::kFloat, type, {have});
      break;
    case TensorProto::DOUBLE:
      have = t.double_data_size();
      out = from_field(t.double_data(), at::kDouble, type, {have});
      break;
    case TensorProto::INT64:
      have = t.int64_data_size();
      out = from_field(t.int64_data(), at::kLong, type, {have});
      break;
    case TensorProto::FLOAT16:
    case TensorProto::BFLOAT16: {
      // int32_data holds the 16-bit patterns.
      have = t.int32_data_size();
      std::vector<int16_t> bits(t.int32_data().begin(), t.int32_data().end());
      out = at::empty({have}, type);
      if (have) std::memcpy(out.data_ptr(), bits.data(), bits.size() * 2);
      break;
    }
    case TensorProto::INT32:
    case TensorProto::INT16:
    case TensorProto::INT8:
    case TensorProto::UINT8:
    case TensorProto::BOOL:
      have = t.int32_data_size();
      out = from_field(t.int32_data(), at::kInt, type, {have});
      break;
    default:
      fail("{}: unsupported element type", where);
  }
  if (have != numel) fail("{}: holds {} values, its shape needs {}", where, have, numel);
  return out.reshape(dims).contiguous();
}

void from_tensor(const at::Tensor& t, TensorProto& out) {
  const at::Tensor c = t.detach().contiguous().cpu();
  out.clear_dims();
  for (auto d : c.sizes()) out.add_dims(d);
  out.set_data_type(to_onnx_type(c.scalar_type()));
  out.clear_float_data();
  out.clear_int32_data();
  out.clear_int64_data();
  out.clear_double_data();
  out.set_raw_data(std::string(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size()));
}

}  // namespace cnnfi::onnx_io
