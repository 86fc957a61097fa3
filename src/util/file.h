// Whole-file reads with errors that name the path.
#pragma once
#include <string>

namespace cnnfi {

/// Reads a whole file; throws cnnfi::Error naming the path if it cannot be opened or read.
std::string read_file(const std::string& path);
bool file_exists(const std::string& path);

}  // namespace cnnfi
