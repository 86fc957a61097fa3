// Data specs as written on the command line and in campaign files:
//   fashion-mnist:test | fashion-mnist:train      the Debian dataset-fashion-mnist copy
//   idx:IMAGES,LABELS                             IDX files, plain or .gz
//   cifar10:FILE_OR_DIR | cifar100:FILE_OR_DIR    binary batches (a directory means its test batch)
//   npy:X.npy,Y.npy                               NumPy arrays
//   folder:DIR                                    DIR/<class>/<image>.png|jpg
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "data/source.h"

namespace cnnfi::data {

constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

struct DataSelection {
  int64_t limit = 0;      ///< first N records (0 = all)
  int64_t per_class = 0;  ///< first K of each class (0 = off)
};

/// The files and folders a spec reads (for the output guard: a command never writes over its
/// data); empty for a malformed spec (opening it reports why).
std::vector<std::string> spec_files(const std::string& spec);

/// Opens `spec`; errors name the spec and list the accepted forms. `resize_h/w` reach folder
/// sources, whose images are decoded at that size.
std::unique_ptr<Source> open_spec(const std::string& spec, const DataSelection& sel = {}, int resize_h = 0,
                                  int resize_w = 0);

}  // namespace cnnfi::data
