// Labelled image sources, read in batches. A source streams: read() touches only the records
// asked for, so memory does not grow with the data set (labels, 8 bytes an image, are the
// exception: selection by class needs them).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cnnfi::data {

struct ImageShape {
  int channels = 0;
  int height = 0;
  int width = 0;
  int64_t pixels() const { return int64_t{channels} * height * width; }
};

class Source {
 public:
  virtual ~Source() = default;
  virtual int64_t size() const = 0;
  virtual ImageShape shape() const = 0;
  /// Reads records [start, start + count): pixels as float in [0, 1], CHW, image after image.
  virtual void read(int64_t start, int64_t count, float* pixels, int64_t* labels) = 0;
  /// Every label in record order.
  virtual std::vector<int64_t> labels() = 0;
  /// The spec or path, for messages and the result store.
  virtual std::string describe() const = 0;
};

/// Limits every reader checks before it allocates: image extents, channels and record counts a
/// real data set never exceeds. `check_image_shape` throws naming `path` and the value.
constexpr int64_t kMaxImageExtent = 16384;
constexpr int64_t kMaxImagePixels = int64_t{1} << 26;
constexpr int64_t kMaxRecords = int64_t{1} << 31;
void check_image_shape(int64_t channels, int64_t height, int64_t width, const std::string& path);
void check_record_count(int64_t count, const std::string& path);

std::unique_ptr<Source> open_idx(const std::string& images, const std::string& labels);
std::unique_ptr<Source> open_cifar(const std::string& file_or_dir, int classes /*10 or 100*/);
std::unique_ptr<Source> open_npy(const std::string& x_path, const std::string& y_path);
/// DIR/<class>/<image>.{png,jpg,jpeg}; classes are the sub-folder names in sorted order.
/// Every image must have the size of the first unless `height`/`width` (> 0) are given, in
/// which case images are resized to it.
std::unique_ptr<Source> open_folder(const std::string& dir, int height = 0, int width = 0);

/// A view of `base`: the first `limit` records (0 = all), or with per_class > 0 the first
/// `per_class` records of each class in file order (the way the seed-004 authors picked images).
std::unique_ptr<Source> select(std::unique_ptr<Source> base, int64_t limit, int64_t per_class);

}  // namespace cnnfi::data
