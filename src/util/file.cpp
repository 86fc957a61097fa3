#include "util/file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"

namespace cnnfi {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open: {}", path, std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) fail("{}: read error", path);
  return ss.str();
}

void refuse_overwrite(const std::string& output, const std::vector<std::string>& inputs, const std::string& option) {
  if (output.empty()) return;
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& in : inputs) {
    if (in.empty()) continue;
    const bool same = fs::exists(output, ec) && fs::exists(in, ec) ? fs::equivalent(output, in, ec)
                                                                  : fs::weakly_canonical(output, ec) == fs::weakly_canonical(in, ec);
    if (same) fail("{} {}: that is the input {}; refusing to overwrite it (choose another output)", option, output, in);
  }
}

void write_file_atomic(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  {
    // A device or pipe (/dev/stdout, a FIFO) is written as it is: never renamed over.
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
      std::ofstream out(path, std::ios::binary);
      if (!out) fail("{}: cannot write: {}", path, std::strerror(errno));
      out << text;
      out.flush();
      if (!out) fail("{}: write error", path);
      return;
    }
  }
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail("{}: cannot write: {}", path, std::strerror(errno));
    out << text;
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      fail("{}: write error", path);
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    fail("{}: cannot write: {}", path, ec.message());
  }
}

void refuse_duplicates(const std::vector<std::string>& paths, const std::string& what) {
  for (size_t i = 0; i < paths.size(); ++i)
    for (size_t j = 0; j < i; ++j) {
      std::error_code ec;
      if (paths[i] == paths[j] || std::filesystem::equivalent(paths[i], paths[j], ec))
        fail("{}: {} and {} are the same file, given twice", what, paths[j], paths[i]);
    }
}

void require_regular_output(const std::string& path, const std::string& option, const std::string& why) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return;
  if (!S_ISREG(st.st_mode))
    fail("{} {}: not a regular file ({}); choose a file path", option, path, why);
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace cnnfi
