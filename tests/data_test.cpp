#include <zlib.h>

#include <filesystem>
#include <fstream>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <png.h>

#include "data/card.h"
#include "data/loader.h"
#include "data/spec.h"
#include "support/support.h"
#include "util/error.h"

using namespace cnnfi;
using test::error_of;

namespace {

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

/// n images of h x w with pixel (i, p) = (i * 7 + p) % 256, labels i % classes.
void write_idx(const std::string& img, const std::string& lab, int n, int h, int w, int classes, bool gz,
               uint32_t magic = 0x803, int label_count = -1) {
  std::string a = be32(magic) + be32(n) + be32(h) + be32(w);
  for (int i = 0; i < n; ++i)
    for (int p = 0; p < h * w; ++p) a.push_back(static_cast<char>((i * 7 + p) % 256));
  if (label_count < 0) label_count = n;
  std::string b = be32(0x801) + be32(label_count);
  for (int i = 0; i < label_count; ++i) b.push_back(static_cast<char>(i % classes));
  if (gz) {
    for (auto [path, bytes] : {std::pair{img, a}, std::pair{lab, b}}) {
      gzFile f = gzopen(path.c_str(), "wb");
      gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
      gzclose(f);
    }
  } else {
    test::write_bytes(img, a);
    test::write_bytes(lab, b);
  }
}


}  // namespace

TEST(Data, IdxPlainAndGzipReadTheSamePixels) {
  test::TempDir d;
  write_idx(d.file("a"), d.file("b"), 5, 4, 3, 10, false);
  write_idx(d.file("a.gz"), d.file("b.gz"), 5, 4, 3, 10, true);
  for (const auto& spec : {"idx:" + d.file("a") + "," + d.file("b"), "idx:" + d.file("a.gz") + "," + d.file("b.gz")}) {
    auto src = data::open_spec(spec);
    ASSERT_EQ(src->size(), 5);
    EXPECT_EQ(src->shape().height, 4);
    EXPECT_EQ(src->shape().width, 3);
    std::vector<float> px(2 * 12);
    std::vector<int64_t> lab(2);
    src->read(3, 2, px.data(), lab.data());
    EXPECT_FLOAT_EQ(px[0], ((3 * 7 + 0) % 256) / 255.0f);
    EXPECT_FLOAT_EQ(px[12 + 5], ((4 * 7 + 5) % 256) / 255.0f);
    EXPECT_EQ(lab[1], 4);
  }
}

TEST(Data, IdxWrongMagicIsNamed) {
  test::TempDir d;
  write_idx(d.file("a"), d.file("b"), 3, 2, 2, 10, false, 0x1234);
  const std::string msg = error_of([&] { data::open_spec("idx:" + d.file("a") + "," + d.file("b")); });
  EXPECT_NE(msg.find(d.file("a")), std::string::npos) << msg;
  EXPECT_NE(msg.find("magic"), std::string::npos) << msg;
}

TEST(Data, LabelsThatDoNotMatchImages) {
  test::TempDir d;
  write_idx(d.file("a"), d.file("b"), 3, 2, 2, 10, false, 0x803, 4);
  const std::string msg = error_of([&] { data::open_spec("idx:" + d.file("a") + "," + d.file("b")); });
  EXPECT_NE(msg.find("labels do not match images"), std::string::npos) << msg;
}

TEST(Data, TruncatedIdxFailsWhenRead) {
  test::TempDir d;
  write_idx(d.file("a"), d.file("b"), 10, 4, 4, 10, false);
  std::filesystem::resize_file(d.file("a"), 16 + 4 * 16 + 3);
  auto src = data::open_spec("idx:" + d.file("a") + "," + d.file("b"));
  std::vector<float> px(10 * 16);
  std::vector<int64_t> lab(10);
  const std::string msg = error_of([&] { src->read(0, 10, px.data(), lab.data()); });
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
}

TEST(Data, CifarRecordsAndTruncation) {
  test::TempDir d;
  std::string bytes;
  for (int i = 0; i < 3; ++i) {
    bytes.push_back(static_cast<char>(i + 1));
    for (int p = 0; p < 3072; ++p) bytes.push_back(static_cast<char>(p < 1024 ? 255 : p < 2048 ? 0 : i));
  }
  test::write_bytes(d.file("c.bin"), bytes);
  auto src = data::open_spec("cifar10:" + d.file("c.bin"));
  ASSERT_EQ(src->size(), 3);
  std::vector<float> px(3072);
  int64_t label = -1;
  src->read(2, 1, px.data(), &label);
  EXPECT_EQ(label, 3);
  EXPECT_FLOAT_EQ(px[0], 1.0f);       // red plane
  EXPECT_FLOAT_EQ(px[1500], 0.0f);    // green plane
  EXPECT_FLOAT_EQ(px[2500], 2 / 255.0f);
  test::write_bytes(d.file("t.bin"), bytes.substr(0, bytes.size() - 10));
  const std::string msg = error_of([&] { data::open_spec("cifar10:" + d.file("t.bin")); });
  EXPECT_NE(msg.find("t.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("record"), std::string::npos) << msg;
  // A label out of range for CIFAR-10.
  bytes[0] = 12;
  test::write_bytes(d.file("l.bin"), bytes);
  auto bad = data::open_spec("cifar10:" + d.file("l.bin"));
  EXPECT_NE(error_of([&] { bad->read(0, 1, px.data(), &label); }).find("label 12"), std::string::npos);
}

TEST(Data, NpyImagesAndLabels) {
  test::TempDir d;
  auto npy = [](const std::string& descr, const std::string& shape, const std::string& data) {
    std::string h = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    while ((10 + h.size() + 1) % 64) h.push_back(' ');
    h.push_back('\n');
    std::string out = "\x93NUMPY";
    out.push_back(1);
    out.push_back(0);
    out.push_back(static_cast<char>(h.size() & 0xff));
    out.push_back(static_cast<char>(h.size() >> 8));
    return out + h + data;
  };
  std::string px;
  for (int i = 0; i < 2 * 2 * 2 * 3; ++i) px.push_back(static_cast<char>(i * 10));
  test::write_bytes(d.file("x.npy"), npy("|u1", "(2, 2, 2, 3)", px));  // N,H,W,C
  std::string y(16, '\0');
  y[0] = 4;
  y[8] = 9;
  test::write_bytes(d.file("y.npy"), npy("<i8", "(2,)", y));
  auto src = data::open_spec("npy:" + d.file("x.npy") + "," + d.file("y.npy"));
  ASSERT_EQ(src->size(), 2);
  EXPECT_EQ(src->shape().channels, 3);
  std::vector<float> out(24);
  std::vector<int64_t> lab(2);
  src->read(0, 2, out.data(), lab.data());
  EXPECT_EQ(lab[0], 4);
  EXPECT_EQ(lab[1], 9);
  // HWC -> CHW: channel 1 of pixel (0,1) is element 1*3+1 = 4 of the first image.
  EXPECT_FLOAT_EQ(out[1 * 4 + 1], 40 / 255.0f);
  test::write_bytes(d.file("y3.npy"), npy("<i8", "(3,)", std::string(24, '\0')));
  EXPECT_NE(error_of([&] { data::open_spec("npy:" + d.file("x.npy") + "," + d.file("y3.npy")); }).find("labels do not match"),
            std::string::npos);
}

TEST(Data, FolderOfPngImages) {
  test::TempDir d;
  for (const char* cls : {"cat", "dog"}) {
    std::filesystem::create_directories(d.file(cls));
    for (int i = 0; i < 2; ++i) {
      png_image img{};
      img.version = PNG_IMAGE_VERSION;
      img.width = 4;
      img.height = 3;
      img.format = PNG_FORMAT_GRAY;
      std::vector<uint8_t> px(12, static_cast<uint8_t>(cls[0] == 'c' ? 10 * i : 200));
      const std::string path = d.file(std::string(cls) + "/" + std::to_string(i) + ".png");
      ASSERT_TRUE(png_image_write_to_file(&img, path.c_str(), 0, px.data(), 0, nullptr));
    }
  }
  auto src = data::open_spec("folder:" + d.path());
  ASSERT_EQ(src->size(), 4);
  EXPECT_EQ(src->shape().channels, 1);
  EXPECT_EQ(src->shape().height, 3);
  std::vector<float> px(4 * 12);
  std::vector<int64_t> lab(4);
  src->read(0, 4, px.data(), lab.data());
  EXPECT_EQ(lab, (std::vector<int64_t>{0, 0, 1, 1}));
  EXPECT_FLOAT_EQ(px[12], 10 / 255.0f);
  EXPECT_FLOAT_EQ(px[36], 200 / 255.0f);
}

TEST(Data, PerClassTakesTheFirstKOfEachClassInFileOrder) {
  test::TempDir d;
  write_idx(d.file("a"), d.file("b"), 30, 2, 2, 3, false);  // labels 0,1,2,0,1,2,...
  data::DataSelection sel;
  sel.per_class = 2;
  auto src = data::open_spec("idx:" + d.file("a") + "," + d.file("b"), sel);
  ASSERT_EQ(src->size(), 6);
  std::vector<float> px(6 * 4);
  std::vector<int64_t> lab(6);
  src->read(0, 6, px.data(), lab.data());
  EXPECT_EQ(lab, (std::vector<int64_t>{0, 1, 2, 0, 1, 2}));
  EXPECT_FLOAT_EQ(px[5 * 4], (5 * 7 % 256) / 255.0f);  // record 5
  sel.per_class = 11;
  EXPECT_NE(error_of([&] { data::open_spec("idx:" + d.file("a") + "," + d.file("b"), sel); }).find("only 10"),
            std::string::npos);
}

TEST(Data, PreprocessPadsTheRawImageThenNormalises) {
  data::Preprocess p;
  p.mean = {0.5f};
  p.std = {0.25f};
  p.pad = 1;
  const at::Tensor x = at::full({1, 1, 2, 2}, 1.0f);
  const at::Tensor y = p.apply(x);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{1, 1, 4, 4}));
  EXPECT_FLOAT_EQ(y[0][0][0][0].item<float>(), -2.0f);  // padding 0 -> (0 - 0.5) / 0.25
  EXPECT_FLOAT_EQ(y[0][0][1][1].item<float>(), 2.0f);
  data::Preprocess rgb;
  rgb.channels = 3;
  rgb.mean = {0.1f, 0.2f, 0.3f};
  const at::Tensor z = rgb.apply(at::full({1, 1, 1, 1}, 0.5f));
  EXPECT_FLOAT_EQ(z[0][2][0][0].item<float>(), 0.2f);
}

TEST(Data, FlagsOverrideTheModelCard) {
  data::Preprocess card;
  card.mean = {0.3f};
  card.std = {0.4f};
  card.pad = 2;
  data::PreprocessFlags flags;
  flags.mean = "0.1";
  const auto p = flags.resolve(card);
  EXPECT_FLOAT_EQ(p.mean[0], 0.1f);
  EXPECT_FLOAT_EQ(p.std[0], 0.4f);
  EXPECT_EQ(p.pad, 2);
  flags.std = "0";
  EXPECT_THROW(flags.resolve(card), Error);
  EXPECT_NE(error_of([] { data::Preprocess::from_json(nlohmann::json{{"meen", {1}}}, "x.card.json"); }).find("meen"),
            std::string::npos);
}

TEST(Data, UnknownSpecListsTheForms) {
  const std::string msg = error_of([] { data::open_spec("mnist:test"); });
  EXPECT_NE(msg.find("unknown kind 'mnist'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cifar10:FILE_OR_DIR"), std::string::npos) << msg;
}
