#include "repr/format.h"

#include <map>
#include <mutex>

#include <ATen/ATen.h>

#include "util/error.h"

namespace cnnfi::repr {

#define CNNFI_FORMAT(id, name) std::unique_ptr<Format> make_##id();
#include "repr/format_list.def"
#undef CNNFI_FORMAT

at::Tensor Format::encode_tensor(const at::Tensor& t, const Params& p) const {
  const at::Tensor c = t.to(at::kFloat).contiguous();
  at::Tensor out = at::empty(c.sizes(), at::kLong);
  const float* src = c.data_ptr<float>();
  int64_t* dst = out.data_ptr<int64_t>();
  for (int64_t i = 0; i < c.numel(); ++i) dst[i] = encode(src[i], p, i);
  return out;
}

at::Tensor Format::decode_tensor(const at::Tensor& words, const Params& p) const {
  const at::Tensor c = words.contiguous();
  at::Tensor out = at::empty(c.sizes(), at::kFloat);
  const int64_t* src = c.data_ptr<int64_t>();
  float* dst = out.data_ptr<float>();
  for (int64_t i = 0; i < c.numel(); ++i) dst[i] = decode(static_cast<uint32_t>(src[i]), p, i);
  return out;
}

at::Tensor Format::store(const at::Tensor& t, const Params& p) const { return decode_tensor(encode_tensor(t, p), p); }

std::vector<int> Format::field_bits(const std::string& name, const Params& p) const {
  std::vector<int> bits;
  std::string names;
  for (const auto& f : fields(p)) {
    names += (names.empty() ? "" : ", ") + f.name;
    if (f.name == name)
      for (int b = f.lo; b <= f.hi; ++b) bits.push_back(b);
    if (name == "exponent-msb" && f.name == "exponent") bits.push_back(f.hi);
  }
  if (bits.empty())
    fail("format {} has no bit field '{}'; its fields are: {}{}", this->name(), name, names,
         names.find("exponent") != std::string::npos ? ", exponent-msb" : "");
  return bits;
}

namespace {

const std::map<std::string, std::unique_ptr<Format>>& registry() {
  static const auto* r = [] {
    auto* m = new std::map<std::string, std::unique_ptr<Format>>();
#define CNNFI_FORMAT(id, name) (*m)[name] = make_##id();
#include "repr/format_list.def"
#undef CNNFI_FORMAT
    return m;
  }();
  return *r;
}

}  // namespace

std::unique_ptr<Format> make_model_format(const std::string& name);  // model_int.cpp

bool is_model_format(const std::string& name) { return name.rfind("model:", 0) == 0; }

const Format& find_format(const std::string& name) {
  const auto& r = registry();
  const auto it = r.find(name);
  if (it == r.end() && is_model_format(name)) {
    static std::mutex mutex;
    static std::map<std::string, std::unique_ptr<Format>> made;
    std::lock_guard<std::mutex> lock(mutex);
    auto& f = made[name];
    if (!f) f = make_model_format(name);
    if (!f) {
      made.erase(name);
      fail("unknown number format '{}': the model's own storage formats are model:bipolar, model:int<k>, "
           "model:uint<k>, each optionally with -narrow, k in 1..32, and minifloats model:e<E>m<M>-b<bias>[-inf][-nan]",
           name);
    }
    return *f;
  }
  if (it == r.end()) {
    std::string names;
    for (const auto& [n, f] : r) names += (names.empty() ? "" : ", ") + n;
    fail("unknown number format '{}'; choose one of: {}", name, names);
  }
  return *it->second;
}

std::vector<std::string> format_names() {
  std::vector<std::string> out;
  for (const auto& [n, f] : registry()) out.push_back(n);
  return out;
}

}  // namespace cnnfi::repr
