#include "support/support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "util/error.h"

namespace cnnfi::test {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "cnnfi-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void sql(const std::string& db, const std::string& statement) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(h, statement.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(h);
}

std::vector<std::string> sql_rows(const std::string& db, const std::string& query) {
  std::vector<std::string> rows;
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(h, query.c_str(), -1, &s, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
  while (s && sqlite3_step(s) == SQLITE_ROW) {
    std::string row;
    for (int c = 0; c < sqlite3_column_count(s); ++c) {
      const auto* t = sqlite3_column_text(s, c);
      row += (c ? "|" : "") + std::string(t ? reinterpret_cast<const char*>(t) : "");
    }
    rows.push_back(row);
  }
  sqlite3_finalize(s);
  sqlite3_close(h);
  return rows;
}

std::string cnnfi_binary() { return CNNFI_BINARY; }

CommandResult run_cnnfi(const std::string& args) {
  char err_path[] = "/tmp/cnnfi-test-stderr-XXXXXX";
  const int fd = mkstemp(err_path);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  close(fd);
  const std::string cmd = std::string(CNNFI_BINARY) + " " + args + " 2>" + err_path;
  CommandResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  {
    std::ifstream in(err_path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    r.err = ss.str();
  }
  std::remove(err_path);
  r.output = r.out + r.err;
  return r;
}

void expect_error(const std::string& args, const std::vector<std::string>& needles) {
  const auto r = run_cnnfi(args);
  EXPECT_GT(r.exit_code, 0) << "expected an error exit (a crash gives -1): " << args << "\n" << r.output;
  for (const auto& n : needles) EXPECT_NE(r.output.find(n), std::string::npos) << "missing '" << n << "' in:\n" << r.output;
}

std::string source_dir() { return CNNFI_SOURCE_DIR; }

std::string shared_data_dir() {
  const auto p = std::filesystem::path(CNNFI_SOURCE_DIR) / ".." / "shared" / "data";
  return std::filesystem::exists(p / "resnet20.onnx") ? p.lexically_normal().string() : "";
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace cnnfi::test
