#include "data/spec.h"

#include "util/error.h"
#include "util/strings.h"

namespace cnnfi::data {

namespace {

const char* kForms =
    "fashion-mnist:test, fashion-mnist:train, idx:IMAGES,LABELS, cifar10:FILE_OR_DIR, cifar100:FILE_OR_DIR, "
    "npy:X.npy,Y.npy, folder:DIR";

std::pair<std::string, std::string> two_paths(const std::string& spec, const std::string& rest) {
  const auto parts = split(rest, ',');
  if (parts.size() != 2 || parts[0].empty() || parts[1].empty())
    fail("data spec '{}': expected two comma-separated paths", spec);
  return {parts[0], parts[1]};
}

std::unique_ptr<Source> open_base(const std::string& spec, int resize_h, int resize_w) {
  const auto colon = spec.find(':');
  if (colon == std::string::npos) fail("data spec '{}' has no kind; use one of: {}", spec, kForms);
  const std::string kind = spec.substr(0, colon), rest = spec.substr(colon + 1);
  if (kind == "fashion-mnist") {
    const std::string d = kFashionMnistDir;
    if (rest == "test") return open_idx(d + "/t10k-images-idx3-ubyte.gz", d + "/t10k-labels-idx1-ubyte.gz");
    if (rest == "train") return open_idx(d + "/train-images-idx3-ubyte.gz", d + "/train-labels-idx1-ubyte.gz");
    fail("data spec '{}': fashion-mnist takes 'test' or 'train'", spec);
  }
  if (kind == "idx") {
    auto [x, y] = two_paths(spec, rest);
    return open_idx(x, y);
  }
  if (kind == "cifar10") return open_cifar(rest, 10);
  if (kind == "cifar100") return open_cifar(rest, 100);
  if (kind == "npy") {
    auto [x, y] = two_paths(spec, rest);
    return open_npy(x, y);
  }
  if (kind == "folder") return open_folder(rest, resize_h, resize_w);
  fail("data spec '{}': unknown kind '{}'; use one of: {}", spec, kind, kForms);
}

}  // namespace

void check_image_shape(int64_t channels, int64_t height, int64_t width, const std::string& path) {
  if (channels < 1 || channels > 4 || height < 1 || height > kMaxImageExtent || width < 1 || width > kMaxImageExtent ||
      channels * height * width > kMaxImagePixels)
    fail("{}: images of {} channel(s) x {} x {} pixels: expected 1-4 channels and 1-{} pixels a side", path, channels,
         height, width, kMaxImageExtent);
}

void check_record_count(int64_t count, const std::string& path) {
  if (count < 0 || count > kMaxRecords) fail("{}: {} records: expected 0-{}", path, count, kMaxRecords);
}

std::vector<std::string> spec_files(const std::string& spec) {
  const auto colon = spec.find(':');
  if (colon == std::string::npos) return {};
  const std::string kind = spec.substr(0, colon), rest = spec.substr(colon + 1);
  if (kind == "fashion-mnist") return {};  // the system's copy, never an output of anyone's
  if (kind == "idx" || kind == "npy") {
    const auto parts = split(rest, ',');
    return parts.size() == 2 ? parts : std::vector<std::string>{};
  }
  if (kind == "cifar10" || kind == "cifar100" || kind == "folder") return {rest};
  return {};
}

std::unique_ptr<Source> open_spec(const std::string& spec, const DataSelection& sel, int resize_h, int resize_w) {
  return select(open_base(spec, resize_h, resize_w), sel.limit, sel.per_class);
}

}  // namespace cnnfi::data
