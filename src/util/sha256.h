// SHA-256 (OpenSSL) of files and of streamed bytes, as lowercase hex.
#pragma once
#include <memory>
#include <string>

namespace cnnfi {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  void update(const void* data, size_t bytes);
  std::string hex();  ///< finishes the digest

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_file(const std::string& path);

}  // namespace cnnfi
