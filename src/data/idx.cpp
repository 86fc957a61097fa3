// IDX files (MNIST, Fashion-MNIST), plain or gzip-compressed (zlib reads both).
#include <zlib.h>

#include <fmt/format.h>

#include "data/source.h"
#include "util/error.h"

namespace cnnfi::data {

namespace {

class GzFile {
 public:
  explicit GzFile(const std::string& path) : path_(path), f_(gzopen(path.c_str(), "rb")) {
    if (!f_) fail("{}: cannot open", path);
    gzbuffer(f_, 1 << 16);
  }
  ~GzFile() {
    if (f_) gzclose(f_);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;
  /// Reads exactly n bytes or throws naming the file and `what`.
  void read_exact(void* dst, size_t n, const std::string& what) {
    const int got = gzread(f_, dst, static_cast<unsigned>(n));
    if (got < 0 || static_cast<size_t>(got) != n) {
      int err = 0;
      const char* msg = gzerror(f_, &err);
      fail("{}: truncated or corrupt file: could not read {} ({} of {} bytes{}{})", path_, what,
           std::max(got, 0), n, err ? ": " : "", err ? msg : "");
    }
  }
  void seek(int64_t offset) {
    if (gzseek(f_, offset, SEEK_SET) < 0) fail("{}: cannot seek to byte {} (truncated file?)", path_, offset);
  }
  uint32_t read_be32(const std::string& what) {
    unsigned char b[4];
    read_exact(b, 4, what);
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  }

 private:
  std::string path_;
  gzFile f_;
};

class IdxSource : public Source {
 public:
  IdxSource(const std::string& images, const std::string& labels) : images_path_(images), labels_path_(labels) {
    GzFile img(images);
    const uint32_t magic = img.read_be32("the header");
    if ((magic >> 8) != 0x08 || (magic & 0xff) < 2 || (magic & 0xff) > 4)
      fail("{}: wrong magic number 0x{:08x}: not an IDX image file of unsigned bytes (expected 0x00000803)",
           images, magic);
    const int dims = magic & 0xff;
    count_ = img.read_be32("the image count");
    std::vector<uint32_t> d;
    for (int i = 1; i < dims; ++i) d.push_back(img.read_be32("the dimensions"));
    // (N,H,W) grey, (N,H,W,C) colour, (N,F) flat vectors as 1x1xF.
    const int64_t c = dims == 4 ? d[2] : 1, h = dims == 2 ? 1 : d[0], w = dims == 2 ? d[0] : d[1];
    check_image_shape(c, h, w, images);
    check_record_count(count_, images);
    shape_ = {static_cast<int>(c), static_cast<int>(h), static_cast<int>(w)};
    header_ = 4 + 4 * dims;
    GzFile lab(labels);
    const uint32_t lmagic = lab.read_be32("the header");
    if (lmagic != 0x00000801)
      fail("{}: wrong magic number 0x{:08x}: not an IDX label file (expected 0x00000801)", labels, lmagic);
    const uint32_t n = lab.read_be32("the label count");
    check_record_count(n, labels);
    if (n != count_)
      fail("labels do not match images: {} holds {} labels, {} holds {} images", labels, n, images, count_);
    labels_.resize(n);
    std::vector<uint8_t> raw(n);
    lab.read_exact(raw.data(), n, fmt::format("{} labels", n));
    for (uint32_t i = 0; i < n; ++i) labels_[i] = raw[i];
  }

  int64_t size() const override { return count_; }
  ImageShape shape() const override { return shape_; }
  std::vector<int64_t> labels() override { return labels_; }
  std::string describe() const override { return fmt::format("idx:{},{}", images_path_, labels_path_); }

  void read(int64_t start, int64_t count, float* pixels, int64_t* labels) override {
    if (start < 0 || start + count > count_) fail("{}: records [{}, {}) out of range", images_path_, start, start + count);
    if (!file_ || start != next_) {
      file_ = std::make_unique<GzFile>(images_path_);
      file_->seek(header_ + start * shape_.pixels());
    }
    const int64_t per = shape_.pixels();
    buf_.resize(static_cast<size_t>(count * per));
    file_->read_exact(buf_.data(), buf_.size(), fmt::format("images {}..{}", start, start + count - 1));
    next_ = start + count;
    // IDX stores HWC for 4-D (colour) files; CHW for the output.
    for (int64_t i = 0; i < count; ++i) {
      const uint8_t* src = buf_.data() + i * per;
      float* dst = pixels + i * per;
      const int c = shape_.channels, hw = shape_.height * shape_.width;
      for (int p = 0; p < hw; ++p)
        for (int ch = 0; ch < c; ++ch) dst[ch * hw + p] = src[p * c + ch] / 255.0f;
      labels[i] = labels_[start + i];
    }
  }

 private:
  std::string images_path_, labels_path_;
  uint32_t count_ = 0;
  ImageShape shape_;
  int64_t header_ = 0;
  std::vector<int64_t> labels_;
  std::unique_ptr<GzFile> file_;
  int64_t next_ = -1;
  std::vector<uint8_t> buf_;
};

}  // namespace

std::unique_ptr<Source> open_idx(const std::string& images, const std::string& labels) {
  return std::make_unique<IdxSource>(images, labels);
}

}  // namespace cnnfi::data
