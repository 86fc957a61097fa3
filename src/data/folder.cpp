// A folder of PNG/JPEG images in class sub-folders (torchvision ImageFolder layout).
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <jpeglib.h>
#include <png.h>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "data/source.h"
#include "util/error.h"

namespace cnnfi::data {

namespace {

namespace fs = std::filesystem;

struct Decoded {
  int channels = 0, height = 0, width = 0;
  std::vector<uint8_t> hwc;
};

Decoded decode_png(const std::string& path) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path.c_str())) fail("{}: cannot decode PNG: {}", path, img.message);
  const bool grey = (img.format & PNG_FORMAT_FLAG_COLOR) == 0;
  img.format = grey ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  if (img.height > kMaxImageExtent || img.width > kMaxImageExtent) {
    png_image_free(&img);
    check_image_shape(grey ? 1 : 3, img.height, img.width, path);
  }
  Decoded d{grey ? 1 : 3, static_cast<int>(img.height), static_cast<int>(img.width), {}};
  d.hwc.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, d.hwc.data(), 0, nullptr)) {
    png_image_free(&img);
    fail("{}: cannot decode PNG: {}", path, img.message);
  }
  return d;
}

struct JpegError {
  jpeg_error_mgr mgr;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_jpeg_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  longjmp(err->jump, 1);
}

Decoded decode_jpeg(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail("{}: cannot open", path);
  jpeg_decompress_struct cinfo{};
  JpegError err{};
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = on_jpeg_error;
  Decoded d;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    std::fclose(f);
    fail("{}: cannot decode JPEG: {}", path, err.message);
  }
  jpeg_create_decompress(&cinfo);
  jpeg_stdio_src(&cinfo, f);
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.image_height > kMaxImageExtent || cinfo.image_width > kMaxImageExtent) {
    const int64_t h = cinfo.image_height, w = cinfo.image_width;
    jpeg_destroy_decompress(&cinfo);
    std::fclose(f);
    check_image_shape(3, h, w, path);
  }
  cinfo.out_color_space = cinfo.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  d.channels = cinfo.output_components;
  d.height = static_cast<int>(cinfo.output_height);
  d.width = static_cast<int>(cinfo.output_width);
  d.hwc.resize(static_cast<size_t>(d.channels) * d.height * d.width);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = d.hwc.data() + static_cast<size_t>(cinfo.output_scanline) * d.width * d.channels;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  std::fclose(f);
  return d;
}

bool is_image(const fs::path& p) {
  std::string ext = p.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(c));
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

Decoded decode(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(c));
  return ext == ".png" ? decode_png(path) : decode_jpeg(path);
}

class FolderSource : public Source {
 public:
  FolderSource(const std::string& dir, int height, int width) : dir_(dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) fail("{}: not a directory", dir);
    std::vector<std::string> classes;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.is_directory(ec)) classes.push_back(e.path().filename().string());
    std::sort(classes.begin(), classes.end());
    if (classes.empty()) fail("{}: no class sub-folders (expected DIR/<class>/<image>.png)", dir);
    for (size_t c = 0; c < classes.size(); ++c) {
      std::vector<std::string> files;
      for (const auto& e : fs::directory_iterator(fs::path(dir) / classes[c], ec))
        if (e.is_regular_file(ec) && is_image(e.path())) files.push_back(e.path().string());
      std::sort(files.begin(), files.end());
      for (auto& f : files) {
        files_.push_back(f);
        labels_.push_back(static_cast<int64_t>(c));
      }
    }
    if (files_.empty()) fail("{}: no .png/.jpg images in its class sub-folders", dir);
    const Decoded first = decode(files_[0]);
    shape_ = {first.channels, height > 0 ? height : first.height, width > 0 ? width : first.width};
    check_image_shape(shape_.channels, shape_.height, shape_.width, dir);
    resize_ = height > 0;
  }

  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  ImageShape shape() const override { return shape_; }
  std::vector<int64_t> labels() override { return labels_; }
  std::string describe() const override { return "folder:" + dir_; }

  void read(int64_t start, int64_t count, float* pixels, int64_t* labels) override {
    const int64_t per = shape_.pixels();
    for (int64_t i = 0; i < count; ++i) {
      const std::string& path = files_[start + i];
      Decoded d = decode(path);
      at::Tensor t = at::from_blob(d.hwc.data(), {d.height, d.width, d.channels}, at::kByte)
                         .permute({2, 0, 1}).to(at::kFloat).div(255.0);
      if (d.channels != shape_.channels)
        t = d.channels == 1 ? t.expand({3, d.height, d.width}) : (t * at::tensor({0.299f, 0.587f, 0.114f}).reshape({3, 1, 1})).sum(0, true);
      if (d.height != shape_.height || d.width != shape_.width) {
        if (!resize_)
          fail("{}: image is {}x{}, the first image is {}x{}; pass --resize HxW", path, d.height, d.width,
               shape_.height, shape_.width);
        t = at::upsample_bilinear2d(t.unsqueeze(0), {shape_.height, shape_.width}, false).squeeze(0);
      }
      std::memcpy(pixels + i * per, t.contiguous().data_ptr<float>(), per * sizeof(float));
      labels[i] = labels_[start + i];
    }
  }

 private:
  std::string dir_;
  std::vector<std::string> files_;
  std::vector<int64_t> labels_;
  ImageShape shape_;
  bool resize_ = false;
};

}  // namespace

std::unique_ptr<Source> open_folder(const std::string& dir, int height, int width) {
  return std::make_unique<FolderSource>(dir, height, width);
}

}  // namespace cnnfi::data
