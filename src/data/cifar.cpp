// CIFAR-10 / CIFAR-100 binary batches: records of [label(s)][1024 R][1024 G][1024 B].
// CIFAR-100 records carry a coarse then a fine label; the fine label (100 classes) is used.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "data/source.h"
#include "util/error.h"

namespace cnnfi::data {

namespace {

constexpr int kPixels = 3 * 32 * 32;

class CifarSource : public Source {
 public:
  CifarSource(std::vector<std::string> files, int classes) : files_(std::move(files)), classes_(classes) {
    label_bytes_ = classes == 100 ? 2 : 1;
    const int64_t record = label_bytes_ + kPixels;
    for (const auto& f : files_) {
      std::error_code ec;
      const auto bytes = static_cast<int64_t>(std::filesystem::file_size(f, ec));
      if (ec) fail("{}: cannot open: {}", f, ec.message());
      if (bytes == 0 || bytes % record != 0)
        fail("{}: {} bytes is not a whole number of CIFAR-{} records of {} bytes (truncated or wrong file)", f,
             bytes, classes, record);
      offsets_.push_back(total_);
      total_ += bytes / record;
    }
  }

  int64_t size() const override { return total_; }
  ImageShape shape() const override { return {3, 32, 32}; }
  std::string describe() const override {
    return fmt::format("cifar{}:{}", classes_, files_.size() == 1 ? files_[0] : std::to_string(files_.size()) + " files");
  }

  std::vector<int64_t> labels() override {
    std::vector<int64_t> out;
    std::vector<uint8_t> rec(label_bytes_ + kPixels);
    for (const auto& f : files_) {
      std::ifstream in(f, std::ios::binary);
      while (in.read(reinterpret_cast<char*>(rec.data()), static_cast<std::streamsize>(rec.size())))
        out.push_back(checked_label(rec, f, static_cast<int64_t>(out.size())));
    }
    return out;
  }

  void read(int64_t start, int64_t count, float* pixels, int64_t* labels) override {
    std::vector<uint8_t> rec(label_bytes_ + kPixels);
    for (int64_t i = 0; i < count; ++i) {
      const int64_t r = start + i;
      const size_t fi = std::upper_bound(offsets_.begin(), offsets_.end(), r) - offsets_.begin() - 1;
      if (fi != open_index_) {
        in_ = std::ifstream(files_[fi], std::ios::binary);
        if (!in_) fail("{}: cannot open", files_[fi]);
        open_index_ = fi;
      }
      in_.seekg((r - offsets_[fi]) * static_cast<int64_t>(rec.size()));
      if (!in_.read(reinterpret_cast<char*>(rec.data()), static_cast<std::streamsize>(rec.size())))
        fail("{}: truncated: cannot read record {}", files_[fi], r - offsets_[fi]);
      labels[i] = checked_label(rec, files_[fi], r);
      float* dst = pixels + i * kPixels;
      for (int p = 0; p < kPixels; ++p) dst[p] = rec[label_bytes_ + p] / 255.0f;
    }
  }

 private:
  int64_t checked_label(const std::vector<uint8_t>& rec, const std::string& f, int64_t index) const {
    const int64_t label = rec[label_bytes_ - 1];
    if (label >= classes_) fail("{}: record {} has label {}, out of range for CIFAR-{}", f, index, label, classes_);
    return label;
  }

  std::vector<std::string> files_;
  int classes_;
  int label_bytes_ = 1;
  std::vector<int64_t> offsets_;
  int64_t total_ = 0;
  std::ifstream in_;
  size_t open_index_ = static_cast<size_t>(-1);
};

}  // namespace

std::unique_ptr<Source> open_cifar(const std::string& file_or_dir, int classes) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_directory(file_or_dir, ec)) {
    // A directory means its test batch: cifar-10-batches-bin/test_batch.bin, cifar-100-binary/test.bin.
    const std::string f = (fs::path(file_or_dir) / (classes == 100 ? "test.bin" : "test_batch.bin")).string();
    if (!fs::exists(f, ec)) fail("{}: directory has no {}; name the batch file instead", file_or_dir, f);
    files.push_back(f);
  } else {
    if (!fs::exists(file_or_dir, ec)) fail("{}: no such file or directory", file_or_dir);
    files.push_back(file_or_dir);
  }
  return std::make_unique<CifarSource>(files, classes);
}

}  // namespace cnnfi::data
