#include "store/meta.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace cnnfi::store {

namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

class Reader {
 public:
  Reader(const std::map<std::string, std::string>& rows, const std::string& path) : rows_(rows), path_(path) {}

  std::string text(const char* key, bool required) {
    used_[key] = true;
    const auto it = rows_.find(key);
    if (it == rows_.end()) {
      if (required) fail("{}: damaged result store: metadata '{}' is missing", path_, key);
      return "";
    }
    return it->second;
  }
  int64_t integer(const char* key, bool required, int64_t dflt, int64_t lo) {
    const std::string s = text(key, required);
    if (s.empty() && !required) return dflt;
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end || errno == ERANGE || v < lo)
      fail("{}: damaged result store: metadata '{}' is '{}', not an integer >= {}", path_, key, s, lo);
    return v;
  }
  uint64_t unsigned_integer(const char* key, bool required) {
    const std::string s = text(key, required);
    if (s.empty() && !required) return 0;
    errno = 0;
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (s.empty() || s[0] == '-' || *end || errno == ERANGE)
      fail("{}: damaged result store: metadata '{}' is '{}', not a non-negative integer", path_, key, s);
    return v;
  }
  double real(const char* key, bool required, double dflt) {
    const std::string s = text(key, required);
    if (s.empty() && !required) return dflt;
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end || !std::isfinite(v) || v < 0)
      fail("{}: damaged result store: metadata '{}' is '{}', not a finite number >= 0", path_, key, s);
    return v;
  }
  std::map<std::string, std::string> unused() const {
    std::map<std::string, std::string> out;
    for (const auto& [k, v] : rows_)
      if (!used_.count(k)) out[k] = v;
    return out;
  }

 private:
  const std::map<std::string, std::string>& rows_;
  const std::string& path_;
  std::map<std::string, bool> used_;
};

}  // namespace

std::map<std::string, std::string> Meta::to_map() const {
  std::map<std::string, std::string> m = extra;
  m["kind"] = kind;
  m["config_yaml"] = config_yaml;
  m["config_file"] = config_file;
  m["cnnfi_version"] = cnnfi_version;
  m["seed"] = std::to_string(seed);
  m["model"] = model;
  m["model_sha256"] = model_sha256;
  m["data"] = data;
  m["data_sha256"] = data_sha256;
  m["images"] = std::to_string(images);
  m["format"] = format;
  m["nonfinite"] = nonfinite;
  m["preprocessing"] = preprocessing;
  m["criticality"] = criticality;
  m["t"] = number(t);
  if (!strata.empty()) m["strata"] = strata;
  if (!started.empty()) m["started"] = started;
  if (!finished.empty()) m["finished"] = finished;
  if (!status.empty()) m["status"] = status;
  m["run_seconds"] = number(run_seconds);
  m["rounds"] = std::to_string(rounds);
  return m;
}

Meta Meta::from_map(const std::map<std::string, std::string>& rows, const std::string& path) {
  Reader r(rows, path);
  Meta m;
  m.kind = r.text("kind", true);
  m.config_yaml = r.text("config_yaml", true);
  m.config_file = r.text("config_file", false);
  m.cnnfi_version = r.text("cnnfi_version", false);
  m.seed = r.unsigned_integer("seed", true);
  m.model = r.text("model", true);
  m.model_sha256 = r.text("model_sha256", false);
  m.data = r.text("data", false);
  m.data_sha256 = r.text("data_sha256", false);
  m.images = r.integer("images", true, 0, 0);
  m.format = r.text("format", true);
  m.nonfinite = r.text("nonfinite", true);
  m.preprocessing = r.text("preprocessing", false);
  m.criticality = r.text("criticality", false);
  if (m.criticality.empty()) m.criticality = "pairs";
  m.t = r.real("t", false, 2.58);
  if (!(m.t > 0)) fail("{}: damaged result store: metadata 't' is {}, not > 0", path, m.t);
  m.strata = r.text("strata", false);
  m.started = r.text("started", false);
  m.finished = r.text("finished", false);
  m.status = r.text("status", false);
  if (!m.status.empty() && m.status != "running" && m.status != "complete")
    fail("{}: damaged result store: metadata 'status' is '{}', not running or complete", path, m.status);
  m.run_seconds = r.real("run_seconds", false, 0);
  m.rounds = r.integer("rounds", false, 1, 1);
  r.text("planned", false);  // the store's own marker, not metadata
  m.extra = r.unused();
  return m;
}

std::string Meta::execution() const {
  const auto it = extra.find("quantized");
  if (it == extra.end()) return format;
  try {
    const auto q = nlohmann::json::parse(it->second);
    std::string sets;
    for (const auto& s : q.at("sets")) sets += (sets.empty() ? "" : ", ") + s.at("name").get<std::string>();
    return format + " integer execution (modules " + (sets.empty() ? "?" : sets) + ", weights per " +
           q.at("weights").get<std::string>() + "), calibrated on " + q.at("calibration").get<std::string>() + " (" +
           std::to_string(q.at("calibration_images").get<int64_t>()) + " images)";
  } catch (const nlohmann::json::exception&) {
    return format + " integer execution (damaged 'quantized' metadata)";
  }
}

}  // namespace cnnfi::store
