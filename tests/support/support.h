// Test helpers: RAII temporary directories, running the cnnfi binary, locating shared data.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace cnnfi::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = 0;
  std::string output;  ///< stdout, then stderr
  std::string out, err;  ///< each alone (JSON is parsed from `out`: notes and warnings go to stderr)
};

/// The built cnnfi binary's path.
std::string cnnfi_binary();
/// Runs `cnnfi <args>` (the built binary) through the shell.
CommandResult run_cnnfi(const std::string& args);
/// Runs `cnnfi <args>` and expects a non-zero exit with every needle in its output.
void expect_error(const std::string& args, const std::vector<std::string>& needles);

/// ../shared/data relative to the source tree, or "" when absent (tests then skip).
std::string shared_data_dir();
std::string source_dir();

void write_bytes(const std::string& path, const std::string& bytes);
/// Runs one SQL statement on an SQLite file (to damage or forge a store); failures are test failures.
void sql(const std::string& db, const std::string& statement);
/// The rows a query returns, each as its columns joined by '|' (as the sqlite3 shell prints them).
std::vector<std::string> sql_rows(const std::string& db, const std::string& query);

/// The message of the cnnfi::Error `f` throws, or "" if it throws none.
std::string error_of(const std::function<void()>& f);

}  // namespace cnnfi::test
