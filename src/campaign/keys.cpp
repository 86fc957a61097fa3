#include "campaign/keys.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "campaign/kind.h"
#include "util/error.h"
#include "util/strings.h"

namespace cnnfi::campaign {

const std::vector<KeyDoc>& key_table() {
  static const std::vector<KeyDoc> table = {
#define CNNFI_KEY(name, kinds, dflt, meaning) {#name, kinds, dflt, meaning},
#include "campaign/key_list.def"
#undef CNNFI_KEY
  };
  return table;
}

std::vector<std::string> common_keys() {
  std::vector<std::string> out;
  for (const auto& k : key_table())
    if (std::string(k.kinds) == "*") out.emplace_back(k.name);
  return out;
}

std::vector<std::string> kind_keys(const std::string& kind) {
  std::vector<std::string> out;
  for (const auto& k : key_table()) {
    const auto ks = split(k.kinds, ' ');
    if (std::find(ks.begin(), ks.end(), kind) != ks.end()) out.emplace_back(k.name);
  }
  return out;
}

namespace {

std::string cell(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

void table(std::string& out, const std::vector<const KeyDoc*>& rows) {
  out += "| key | default | meaning |\n| --- | --- | --- |\n";
  for (const auto* k : rows) out += fmt::format("| `{}` | {} | {} |\n", k->name, cell(k->dflt), cell(k->meaning));
}

}  // namespace

std::string keys_reference(const std::string& kind) {
  if (!kind.empty()) find_kind(kind);  // an unknown kind: the error lists the kinds
  std::string out = "## Keys every kind reads\n\n";
  std::vector<const KeyDoc*> rows;
  for (const auto& k : key_table())
    if (std::string(k.kinds) == "*") rows.push_back(&k);
  table(out, rows);
  for (const auto& e : kinds()) {
    if (!kind.empty() && kind != e.name) continue;
    out += fmt::format("\n## Kind `{}`: {}\n\n", e.name, e.about);
    rows.clear();
    for (const auto& k : key_table()) {
      const auto ks = split(k.kinds, ' ');
      if (std::find(ks.begin(), ks.end(), e.name) != ks.end()) rows.push_back(&k);
    }
    if (rows.empty()) out += "No keys of its own.\n";
    else table(out, rows);
  }
  return out;
}

void Keys::bad(const std::string& key, const std::string& what) const { fail("{}: key '{}': {}", file_, key, what); }

std::string Keys::scalar(const YAML::Node& n, const std::string& key, const char* expected) const {
  if (!n.IsScalar())
    bad(key, fmt::format("expected {}, got a {}", expected, n.IsSequence() ? "list" : n.IsMap() ? "mapping" : "null"));
  return n.Scalar();
}

int64_t Keys::integer(const YAML::Node& n, const std::string& key, int64_t lo, int64_t hi) const {
  const std::string s = scalar(n, key, "an integer");
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end) bad(key, fmt::format("expected an integer, got '{}'", s));
  if (errno == ERANGE || v < lo || v > hi) bad(key, fmt::format("{} is out of range [{}, {}]", s, lo, hi));
  return v;
}

uint64_t Keys::unsigned_integer(const char* key) const {
  const std::string s = scalar(root_[key], key, "a non-negative integer");
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (s.empty() || s[0] == '-' || s[0] == '+' || *end || errno == ERANGE)
    bad(key, fmt::format("expected an integer in [0, 2^64), got '{}'", s));
  return v;
}

double Keys::real(const YAML::Node& n, const std::string& key, double lo, double hi, bool lo_open) const {
  const std::string s = scalar(n, key, "a number");
  const std::string range = fmt::format("{}{}, {}]", lo_open ? "(" : "[", lo, hi);
  std::string lower = s;
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (lower.find("inf") != std::string::npos || lower.find("nan") != std::string::npos)
    bad(key, fmt::format("'{}' is not a finite number; expected one in {}", s, range));
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end) bad(key, fmt::format("expected a number in {}, got '{}'", range, s));
  if (!std::isfinite(v) || (lo_open ? v <= lo : v < lo) || v > hi) bad(key, fmt::format("{} is out of range {}", s, range));
  return v;
}

std::string Keys::path(const char* key) const {
  namespace fs = std::filesystem;
  const std::string p = text(key);
  if (p.empty() || fs::path(p).is_absolute() || file_.empty()) return p;
  const fs::path rel = fs::path(file_).parent_path() / p;
  std::error_code ec;  // an unusable path (too long, bad bytes) is reported where it is opened
  return fs::exists(rel, ec) || !fs::exists(p, ec) ? rel.lexically_normal().string() : p;
}

int read_repetitions(const Keys& k) { return static_cast<int>(k.integer_or("repetitions", 1, 1000000, 60)); }

std::vector<int64_t> read_schedule(const Keys& k, std::vector<int64_t> dflt) {
  if (!k.has("schedule")) return dflt;
  const auto& s = k.root()["schedule"];
  if (!s.IsSequence() || s.size() == 0 || s.size() > 1000) k.bad("schedule", "expected a list of 1 to 1,000 fault counts");
  std::vector<int64_t> out;
  for (const auto& x : s) out.push_back(k.integer(x, "schedule", 0, 1000000000));
  for (size_t i = 1; i < out.size(); ++i)
    if (out[i] < out[i - 1]) k.bad("schedule", "fault counts must be non-decreasing");
  return out;
}

}  // namespace cnnfi::campaign
