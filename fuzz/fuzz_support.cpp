#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fuzz.h"

namespace cnnfi::fuzz {

TempFile::TempFile(const uint8_t* data, size_t size, const char* suffix) {
  static int counter = 0;
  path_ = (std::filesystem::temp_directory_path() /
           ("cnnfi-fuzz-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + suffix))
              .string();
  std::ofstream(path_, std::ios::binary).write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

TempFile::~TempFile() {
  std::error_code ec;
  for (const char* extra : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(path_ + extra, ec);
}

}  // namespace cnnfi::fuzz
