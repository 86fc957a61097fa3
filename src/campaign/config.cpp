#include "campaign/config.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>

#include <yaml-cpp/yaml.h>

#include "campaign/kind.h"
#include "data/source.h"
#include "repr/format.h"
#include "stats/sample_size.h"
#include "util/error.h"
#include "util/file.h"
#include "util/strings.h"

namespace cnnfi::campaign {

namespace {

/// Keys every kind reads.
const std::vector<std::string> kCommonKeys = {"kind", "model", "data", "limit", "per_class", "batch", "preprocessing",
                                              "format", "seed", "fault_model", "layers", "bits", "nonfinite", "name",
                                              "description"};
constexpr int64_t kMaxRepetitions = 1000000;
constexpr int64_t kMaxCount = 1000000000;

/// Reads the scalars of one campaign file, each with its key in every message.
class Keys {
 public:
  Keys(const YAML::Node& root, const std::string& file) : root_(root), file_(file) {}

  bool has(const char* key) const { return static_cast<bool>(root_[key]); }
  [[noreturn]] void bad(const std::string& key, const std::string& what) const {
    fail("{}: key '{}': {}", file_, key, what);
  }
  std::string scalar(const YAML::Node& n, const std::string& key, const char* expected) const {
    if (!n.IsScalar()) bad(key, fmt::format("expected {}, got a {}", expected, n.IsSequence() ? "list" : n.IsMap() ? "mapping" : "null"));
    return n.Scalar();
  }
  std::string text(const char* key) const { return scalar(root_[key], key, "a string"); }
  int64_t integer(const YAML::Node& n, const std::string& key, int64_t lo, int64_t hi) const {
    const std::string s = scalar(n, key, "an integer");
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end) bad(key, fmt::format("expected an integer, got '{}'", s));
    if (errno == ERANGE || v < lo || v > hi) bad(key, fmt::format("{} is out of range [{}, {}]", s, lo, hi));
    return v;
  }
  int64_t integer(const char* key, int64_t lo, int64_t hi) const { return integer(root_[key], key, lo, hi); }
  uint64_t unsigned_integer(const char* key) const {
    const std::string s = scalar(root_[key], key, "a non-negative integer");
    errno = 0;
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (s.empty() || s[0] == '-' || s[0] == '+' || *end || errno == ERANGE)
      bad(key, fmt::format("expected an integer in [0, 2^64), got '{}'", s));
    return v;
  }
  /// A finite number in (lo, hi] or [lo, hi] as `lo_open` says.
  double real(const YAML::Node& n, const std::string& key, double lo, double hi, bool lo_open) const {
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
  double real(const char* key, double lo, double hi, bool lo_open) const { return real(root_[key], key, lo, hi, lo_open); }
  const YAML::Node& root() const { return root_; }
  const std::string& file() const { return file_; }

 private:
  const YAML::Node& root_;
  const std::string& file_;
};

std::string resolve(const std::string& p, const std::string& file) {
  namespace fs = std::filesystem;
  if (p.empty() || fs::path(p).is_absolute() || file.empty()) return p;
  const fs::path rel = fs::path(file).parent_path() / p;
  std::error_code ec;  // an unusable path (too long, bad bytes) is reported where it is opened
  return fs::exists(rel, ec) || !fs::exists(p, ec) ? rel.lexically_normal().string() : p;
}

data::Preprocess parse_preprocessing(const Keys& k) {
  const YAML::Node& pp = k.root()["preprocessing"];
  if (!pp.IsMap()) k.bad("preprocessing", "expected a mapping of mean, std, pad, channels, resize");
  data::Preprocess p;
  auto floats = [&](const YAML::Node& n, const std::string& key) {
    std::vector<float> out;
    if (n.IsSequence()) {
      for (const auto& x : n) out.push_back(static_cast<float>(k.real(x, key, -1e6, 1e6, false)));
    } else {
      out.push_back(static_cast<float>(k.real(n, key, -1e6, 1e6, false)));
    }
    if (out.empty() || out.size() > 4) k.bad(key, "expected 1 to 4 values");
    return out;
  };
  for (const auto& kv : pp) {
    const std::string key = k.scalar(kv.first, "preprocessing", "a key");
    const std::string full = "preprocessing." + key;
    if (key == "mean") p.mean = floats(kv.second, full);
    else if (key == "std") p.std = floats(kv.second, full);
    else if (key == "pad") p.pad = static_cast<int>(k.integer(kv.second, full, 0, 4096));
    else if (key == "channels") p.channels = static_cast<int>(k.integer(kv.second, full, 1, 3));
    else if (key == "resize") std::tie(p.resize_h, p.resize_w) = parse_hw(k.scalar(kv.second, full, "HxW"), full);
    else k.bad(full, "unknown key; allowed: mean, std, pad, channels, resize");
  }
  p.validate(k.file() + ": preprocessing");
  return p;
}

}  // namespace

namespace {
const std::pair<SfiMethod, const char*> kMethods[] = {{SfiMethod::network, "network"},
                                                      {SfiMethod::layer, "layer"},
                                                      {SfiMethod::data_unaware, "data-unaware"},
                                                      {SfiMethod::data_aware, "data-aware"},
                                                      {SfiMethod::adaptive, "adaptive"}};
}  // namespace

std::string to_string(SfiMethod m) {
  for (const auto& [v, name] : kMethods)
    if (v == m) return name;
  return "?";
}

SfiMethod parse_sfi_method(const std::string& s) {
  std::string names;
  for (const auto& [v, name] : kMethods) {
    if (s == name) return v;
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  fail("method '{}' is not one of {}", s, names);
}

double CampaignConfig::t_value() const { return t > 0 ? t : stats::t_for_confidence(confidence); }

CampaignConfig parse_campaign(const std::string& text, const std::string& file) {
  // yaml-cpp parses nested collections recursively: a deep nesting would overflow the stack.
  if (text.size() > (1u << 20)) fail("{}: {} bytes; a campaign file is at most 1 MiB", file, text.size());
  int depth = 0, indent = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (ch == '[' || ch == '{') ++depth;
    if (ch == ']' || ch == '}') --depth;
    if (ch == '\n') indent = 0;
    else if (ch == ' ' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\n')) ++indent;
    if (depth > 32 || indent > 256) fail("{}: nested more than 32 levels deep; a campaign file is flat", file);
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail("{}: not valid YAML: {}", file, e.what());
  }
  if (!root.IsMap()) fail("{}: a campaign file is a YAML mapping of keys", file);
  const Keys k(root, file);
  CampaignConfig c;
  c.file = file;
  c.yaml = text;
  if (!k.has("kind")) {
    std::string names;
    for (const auto& e : kinds()) names += (names.empty() ? "" : ", ") + std::string(e.name);
    fail("{}: key 'kind' is required ({})", file, names);
  }
  c.kind = k.text("kind");
  const KindEntry* kind = nullptr;
  try {
    kind = &find_kind(c.kind);
  } catch (const Error& e) {
    k.bad("kind", e.what());
  }
  // Every key must be common or read by this kind.
  for (const auto& kv : root) {
    const std::string key = k.scalar(kv.first, "(a key)", "a key name");
    const bool common = std::find(kCommonKeys.begin(), kCommonKeys.end(), key) != kCommonKeys.end();
    const bool own = std::find(kind->keys.begin(), kind->keys.end(), key) != kind->keys.end();
    if (common || own) continue;
    std::vector<std::string> users;
    for (const auto& e : kinds())
      if (std::find(e.keys.begin(), e.keys.end(), key) != e.keys.end()) users.push_back(e.name);
    if (!users.empty())
      fail("{}: key '{}' is not read by kind '{}' (it is for {}); remove it", file, key, c.kind, join(users, ", "));
    fail("{}: unknown key '{}'; kind '{}' reads: {}, {}", file, key, c.kind, join(kCommonKeys, ", "),
         join(kind->keys, ", "));
  }
  if (!k.has("model")) fail("{}: key 'model' is required", file);
  c.model = resolve(k.text("model"), file);
  if (k.has("data")) c.data = k.text("data");
  if (k.has("limit")) c.limit = k.integer("limit", 0, data::kMaxRecords);
  if (k.has("per_class")) c.per_class = k.integer("per_class", 0, data::kMaxRecords);
  if (k.has("batch")) c.batch = k.integer("batch", 1, 65536);
  if (k.has("preprocessing")) c.preprocessing = parse_preprocessing(k);
  if (k.has("format")) {
    c.format = k.text("format");
    try {
      repr::find_format(c.format);
    } catch (const Error& e) {
      k.bad("format", e.what());
    }
  }
  if (k.has("seed")) c.seed = k.unsigned_integer("seed");
  if (k.has("fault_model")) {
    try {
      c.fault_model = fault::parse_fault_model_choice(k.text("fault_model"));
    } catch (const Error& e) {
      k.bad("fault_model", e.what());
    }
  }
  if (k.has("layers")) {
    const auto& l = root["layers"];
    if (l.IsSequence()) {
      std::vector<std::string> names;
      for (const auto& x : l) names.push_back(k.scalar(x, "layers", "a layer name"));
      if (names.empty()) k.bad("layers", "an empty list selects nothing; write 'all' or name layers");
      c.layers = fault::LayerSelection::of(names);
    } else {
      try {
        c.layers = fault::LayerSelection::parse(k.text("layers"));
      } catch (const Error& e) {
        k.bad("layers", e.what());
      }
    }
  }
  if (k.has("bits")) c.bits = k.scalar(root["bits"], "bits", "all, a list, a range or a field");
  if (k.has("nonfinite")) {
    try {
      c.nonfinite = parse_nonfinite(k.text("nonfinite"));
    } catch (const Error& e) {
      k.bad("nonfinite", e.what());
    }
  }
  if (k.has("repetitions")) c.repetitions = static_cast<int>(k.integer("repetitions", 1, kMaxRepetitions));
  if (k.has("schedule")) {
    const auto& s = root["schedule"];
    if (!s.IsSequence() || s.size() == 0 || s.size() > 1000)
      k.bad("schedule", "expected a list of 1 to 1,000 fault counts");
    c.schedule.clear();
    for (const auto& x : s) c.schedule.push_back(k.integer(x, "schedule", 0, kMaxCount));
    for (size_t i = 1; i < c.schedule.size(); ++i)
      if (c.schedule[i] < c.schedule[i - 1]) k.bad("schedule", "fault counts must be non-decreasing");
  }
  if (k.has("faults_per_bit")) c.faults_per_bit = k.integer("faults_per_bit", 1, kMaxCount);
  if (k.has("rate")) c.rate = k.real("rate", 0, 1, true);
  if (k.has("faults")) c.faults_csv = resolve(k.text("faults"), file);
  if (k.has("count")) c.count = k.integer("count", 1, kMaxCount);
  if (k.has("method")) {
    try {
      c.method = parse_sfi_method(k.text("method"));
    } catch (const Error& e) {
      k.bad("method", e.what());
    }
  }
  if (k.has("error")) c.error = k.real("error", 0, 1, true);
  if (c.error >= 1) k.bad("error", "must be below 1");
  if (k.has("confidence")) c.confidence = k.real("confidence", 0, 1, true);
  if (c.confidence >= 1) k.bad("confidence", "must be below 1");
  if (k.has("t")) c.t = k.real("t", 0, 100, true);
  if (k.has("criticality")) {
    try {
      c.criticality = parse_criticality(k.text("criticality"));
    } catch (const Error& e) {
      k.bad("criticality", e.what());
    }
  }
  if (k.has("p_rule")) {
    try {
      c.p_rule = stats::parse_p_rule(k.text("p_rule"));
    } catch (const Error& e) {
      k.bad("p_rule", e.what());
    }
  }
  return c;
}

CampaignConfig load_campaign(const std::string& path) { return parse_campaign(read_file(path), path); }

}  // namespace cnnfi::campaign
