#include "util/strings.h"

#include <ctime>

#include <cstdlib>

#include "util/error.h"

namespace cnnfi {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::vector<float> parse_floats(const std::string& s, const std::string& what) {
  std::vector<float> out;
  for (const auto& part : split(s, ',')) {
    const std::string t = trim(part);
    char* end = nullptr;
    const float v = std::strtof(t.c_str(), &end);
    if (t.empty() || end != t.c_str() + t.size()) fail("{}: '{}' is not a number (in '{}')", what, t, s);
    out.push_back(v);
  }
  return out;
}

std::pair<int, int> parse_hw(const std::string& s, const std::string& what) {
  const auto parts = split(s, 'x');
  if (parts.size() != 2) fail("{}: expected HxW such as 32x32, got '{}'", what, s);
  char* e1 = nullptr;
  char* e2 = nullptr;
  const long h = std::strtol(parts[0].c_str(), &e1, 10);
  const long w = std::strtol(parts[1].c_str(), &e2, 10);
  if (*e1 || *e2 || h <= 0 || w <= 0 || parts[0].empty() || parts[1].empty())
    fail("{}: expected positive HxW such as 32x32, got '{}'", what, s);
  return {static_cast<int>(h), static_cast<int>(w)};
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace cnnfi
