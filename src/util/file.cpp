#include "util/file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

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

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace cnnfi
