// NumPy .npy arrays: images X (uint8 0-255, or float32 already scaled to [0, 1]) shaped
// (N,H,W), (N,H,W,C) or (N,C,H,W) with C in {1,3}; labels Y (any integer type) shaped (N,).
#include <cstring>
#include <fstream>
#include <regex>

#include <fmt/format.h>

#include "data/source.h"
#include "util/error.h"

namespace cnnfi::data {

namespace {

struct NpyHeader {
  std::string descr;
  bool fortran = false;
  std::vector<int64_t> shape;
  int64_t data_offset = 0;
  int item = 0;
};

NpyHeader read_header(std::ifstream& in, const std::string& path) {
  char magic[8];
  if (!in.read(magic, 8) || std::string(magic, 6) != "\x93NUMPY")
    fail("{}: not a NumPy .npy file (bad magic)", path);
  const int major = static_cast<unsigned char>(magic[6]);
  uint32_t len = 0;
  if (major == 1) {
    unsigned char b[2];
    in.read(reinterpret_cast<char*>(b), 2);
    len = b[0] | (b[1] << 8);
  } else {
    unsigned char b[4];
    in.read(reinterpret_cast<char*>(b), 4);
    len = b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t{b[3]} << 24);
  }
  if (len > (1u << 20)) fail("{}: .npy header of {} bytes: not a data array header (at most 1 MiB)", path, len);
  std::string h(len, '\0');
  if (!in.read(h.data(), len)) fail("{}: truncated .npy header", path);
  NpyHeader out;
  out.data_offset = in.tellg();
  std::smatch m;
  if (!std::regex_search(h, m, std::regex("'descr':\\s*'([^']*)'"))) fail("{}: .npy header has no descr", path);
  out.descr = m[1];
  out.fortran = std::regex_search(h, std::regex("'fortran_order':\\s*True"));
  if (!std::regex_search(h, m, std::regex("'shape':\\s*\\(([^)]*)\\)"))) fail("{}: .npy header has no shape", path);
  std::string dims = m[1];
  std::regex num("\\d+");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num); it != std::sregex_iterator(); ++it) {
    if (it->str().size() > 12) fail("{}: .npy dimension {} is too large", path, it->str());
    out.shape.push_back(std::stoll(it->str()));
  }
  if (out.fortran) fail("{}: Fortran-order arrays are not supported; save with np.ascontiguousarray", path);
  const std::string& d = out.descr;
  if (d == "|u1" || d == "|i1" || d == "|b1") out.item = 1;
  else if (d == "<i2" || d == "<u2") out.item = 2;
  else if (d == "<f4" || d == "<i4" || d == "<u4") out.item = 4;
  else if (d == "<f8" || d == "<i8" || d == "<u8") out.item = 8;
  else fail("{}: dtype '{}' is not supported", path, d);
  in.seekg(0, std::ios::end);
  const int64_t have = static_cast<int64_t>(in.tellg()) - out.data_offset;
  int64_t n = 1;
  for (auto s : out.shape) {
    if (s > 0 && n > have / s) fail("{}: truncated: shape needs more data than the file's {} bytes", path, have);
    n *= s;
  }
  if (have < n * out.item)
    fail("{}: truncated: shape needs {} bytes of data, the file holds {}", path, n * out.item, have);
  return out;
}

class NpySource : public Source {
 public:
  NpySource(const std::string& x, const std::string& y) : x_path_(x), y_path_(y), x_(x, std::ios::binary) {
    if (!x_) fail("{}: cannot open", x);
    hx_ = read_header(x_, x);
    if (hx_.descr != "|u1" && hx_.descr != "<f4")
      fail("{}: images must be uint8 (0-255) or float32 (0-1), got dtype '{}'", x, hx_.descr);
    const auto& s = hx_.shape;
    if (s.size() == 3 || s.size() == 4) {
      check_record_count(s[0], x);
      for (size_t i = 1; i < s.size(); ++i)
        if (s[i] < 1 || s[i] > kMaxImageExtent) fail("{}: image dimension {} is {}: expected 1-{}", x, i, s[i], kMaxImageExtent);
    }
    if (s.size() == 3) {
      shape_ = {1, static_cast<int>(s[1]), static_cast<int>(s[2])};
    } else if (s.size() == 4 && (s[3] == 1 || s[3] == 3)) {
      shape_ = {static_cast<int>(s[3]), static_cast<int>(s[1]), static_cast<int>(s[2])};
      hwc_ = true;
    } else if (s.size() == 4 && (s[1] == 1 || s[1] == 3)) {
      shape_ = {static_cast<int>(s[1]), static_cast<int>(s[2]), static_cast<int>(s[3])};
    } else {
      fail("{}: image array shape must be (N,H,W), (N,H,W,C) or (N,C,H,W) with C = 1 or 3", x);
    }
    std::ifstream yin(y, std::ios::binary);
    if (!yin) fail("{}: cannot open", y);
    const NpyHeader hy = read_header(yin, y);
    if (hy.shape.size() != 1) fail("{}: labels must be a 1-D array, got {} dimensions", y, hy.shape.size());
    if (hy.shape[0] != s[0])
      fail("labels do not match images: {} holds {} labels, {} holds {} images", y, hy.shape[0], x, s[0]);
    if (hy.descr[1] == 'f') fail("{}: labels must be integers, got dtype '{}'", y, hy.descr);
    std::vector<char> raw(static_cast<size_t>(hy.shape[0] * hy.item));
    yin.seekg(hy.data_offset);
    yin.read(raw.data(), static_cast<std::streamsize>(raw.size()));
    for (int64_t i = 0; i < hy.shape[0]; ++i) {
      const char* p = raw.data() + i * hy.item;
      int64_t v = 0;
      switch (hy.item) {
        case 1: v = hy.descr == "|i1" ? *reinterpret_cast<const int8_t*>(p) : *reinterpret_cast<const uint8_t*>(p); break;
        case 2: v = *reinterpret_cast<const int16_t*>(p); break;
        case 4: v = *reinterpret_cast<const int32_t*>(p); break;
        default: v = *reinterpret_cast<const int64_t*>(p); break;
      }
      if (v < 0) fail("{}: label {} of image {} is negative", y, v, i);
      labels_.push_back(v);
    }
  }

  int64_t size() const override { return hx_.shape[0]; }
  ImageShape shape() const override { return shape_; }
  std::vector<int64_t> labels() override { return labels_; }
  std::string describe() const override { return fmt::format("npy:{},{}", x_path_, y_path_); }

  void read(int64_t start, int64_t count, float* pixels, int64_t* labels) override {
    const int64_t per = shape_.pixels();
    std::vector<char> raw(static_cast<size_t>(count * per * hx_.item));
    x_.clear();
    x_.seekg(hx_.data_offset + start * per * hx_.item);
    if (!x_.read(raw.data(), static_cast<std::streamsize>(raw.size())))
      fail("{}: truncated: cannot read images {}..{}", x_path_, start, start + count - 1);
    const int c = shape_.channels, hw = shape_.height * shape_.width;
    for (int64_t i = 0; i < count; ++i) {
      for (int64_t e = 0; e < per; ++e) {
        const int64_t src = i * per + e;
        float v = 0;
        if (hx_.item == 1) {
          v = static_cast<uint8_t>(raw[src]) / 255.0f;
        } else {
          std::memcpy(&v, raw.data() + src * 4, 4);
          if (!(v >= 0.0f && v <= 1.0f))
            fail("{}: image {} holds {} at element {}: float32 images must already be scaled to [0, 1] "
                 "(save uint8 0-255 images as uint8)", x_path_, start + i, v, e);
        }
        const int64_t dst = hwc_ ? (e % c) * hw + e / c : e;
        pixels[i * per + dst] = v;
      }
      labels[i] = labels_[start + i];
    }
  }

 private:
  std::string x_path_, y_path_;
  std::ifstream x_;
  NpyHeader hx_;
  ImageShape shape_;
  bool hwc_ = false;
  std::vector<int64_t> labels_;
};

}  // namespace

std::unique_ptr<Source> open_npy(const std::string& x, const std::string& y) {
  return std::make_unique<NpySource>(x, y);
}

}  // namespace cnnfi::data
