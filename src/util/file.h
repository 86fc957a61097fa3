// Whole-file reads with errors that name the path.
#pragma once
#include <string>
#include <vector>

namespace cnnfi {

/// Reads a whole file; throws cnnfi::Error naming the path if it cannot be opened or read.
std::string read_file(const std::string& path);
bool file_exists(const std::string& path);
/// Writes `text` to a temporary file beside `path` and renames it into place: a reader never
/// sees half a file, and a failed write leaves `path` as it was. Errors name the path.
void write_file_atomic(const std::string& path, const std::string& text);
/// Throws naming `option` when `output` (if not empty) is the same file as one of `inputs`
/// (the same path, or another path to the same file): a command never overwrites its input.
void refuse_overwrite(const std::string& output, const std::vector<std::string>& inputs, const std::string& option);
/// Throws when two of `paths` are the same file (by identity: ./a.db and a symlink to it count):
/// "<what>: X and Y are the same file, given twice".
void refuse_duplicates(const std::vector<std::string>& paths, const std::string& what);
/// Throws naming `option` when `path` exists and is not a regular file (a device such as
/// /dev/null, a directory, a FIFO): a result store is a database with a journal beside it.
/// `why` says what the output is ("a store is a database file with a journal beside it").
void require_regular_output(const std::string& path, const std::string& option,
                            const std::string& why = "a store is a database file with a journal beside it");

}  // namespace cnnfi
