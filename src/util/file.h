// Whole-file reads with errors that name the path.
#pragma once
#include <string>
#include <vector>

namespace cnnfi {

/// Reads a whole file; throws cnnfi::Error naming the path if it cannot be opened or read.
std::string read_file(const std::string& path);
bool file_exists(const std::string& path);
/// Throws naming `option` when `output` (if not empty) is the same file as one of `inputs`
/// (the same path, or another path to the same file): a command never overwrites its input.
void refuse_overwrite(const std::string& output, const std::vector<std::string>& inputs, const std::string& option);

}  // namespace cnnfi
