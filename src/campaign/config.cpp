#include "campaign/config.h"

#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "util/error.h"
#include "util/file.h"

namespace cnnfi::campaign {

namespace {

const std::set<std::string> kKinds = {"incremental", "bit-sweep", "layer-wise", "single", "exhaustive", "sfi"};
const char* kKindList = "incremental, bit-sweep, layer-wise, single, exhaustive, sfi";
const std::set<std::string> kKeys = {"kind", "model", "data", "limit", "per_class", "batch", "preprocessing", "format",
                                     "seed", "repetitions", "fault_model", "layers", "bits", "nonfinite", "schedule",
                                     "faults_per_bit", "rate", "faults", "count", "name", "description", "method",
                                     "error", "confidence", "t", "criticality", "p_rule"};

template <typename T>
T get(const YAML::Node& n, const std::string& key, const std::string& file, const char* what) {
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    fail("{}: key '{}': expected {}, got '{}'", file, key, what, YAML::Dump(n));
  }
}

std::string resolve(const std::string& p, const std::string& file) {
  namespace fs = std::filesystem;
  if (p.empty() || fs::path(p).is_absolute() || file.empty()) return p;
  const fs::path rel = fs::path(file).parent_path() / p;
  return fs::exists(rel) || !fs::exists(p) ? rel.lexically_normal().string() : p;
}

}  // namespace

CampaignConfig parse_campaign(const std::string& text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail("{}: not valid YAML: {}", file, e.what());
  }
  if (!root.IsMap()) fail("{}: a campaign file is a YAML mapping of keys", file);
  CampaignConfig c;
  c.file = file;
  c.yaml = text;
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    if (!kKeys.count(key)) {
      std::string keys;
      for (const auto& k : kKeys) keys += (keys.empty() ? "" : ", ") + k;
      fail("{}: unknown key '{}'; allowed keys: {}", file, key, keys);
    }
  }
  if (!root["kind"]) fail("{}: key 'kind' is required ({})", file, kKindList);
  c.kind = get<std::string>(root["kind"], "kind", file, "a string");
  if (!kKinds.count(c.kind))
    fail("{}: key 'kind': '{}' is not one of {}", file, c.kind, kKindList);
  if (!root["model"]) fail("{}: key 'model' is required", file);
  c.model = resolve(get<std::string>(root["model"], "model", file, "a path"), file);
  if (root["data"]) c.data = get<std::string>(root["data"], "data", file, "a data spec");
  if (root["limit"]) c.limit = get<int64_t>(root["limit"], "limit", file, "an integer");
  if (root["per_class"]) c.per_class = get<int64_t>(root["per_class"], "per_class", file, "an integer");
  if (root["batch"]) c.batch = get<int64_t>(root["batch"], "batch", file, "an integer");
  if (root["preprocessing"]) {
    nlohmann::json j;
    const auto& pp = root["preprocessing"];
    for (const auto& kv : pp) {
      const std::string k = kv.first.as<std::string>();
      if (kv.second.IsSequence()) j[k] = kv.second.as<std::vector<float>>();
      else if (k == "resize") j[k] = kv.second.as<std::string>();
      else j[k] = kv.second.as<int>();
    }
    c.preprocessing = data::Preprocess::from_json(j, file + ": preprocessing");
  }
  if (root["format"]) c.format = get<std::string>(root["format"], "format", file, "a format name");
  if (root["seed"]) c.seed = get<uint64_t>(root["seed"], "seed", file, "a non-negative integer");
  if (root["repetitions"]) c.repetitions = get<int>(root["repetitions"], "repetitions", file, "an integer");
  if (c.repetitions < 1) fail("{}: key 'repetitions' must be >= 1", file);
  if (root["fault_model"]) {
    try {
      c.fault_model_name = get<std::string>(root["fault_model"], "fault_model", file, "a string");
      if (c.fault_model_name == "sa") {
        if (c.kind != "exhaustive" && c.kind != "sfi")
          fail("'sa' (stuck-at pairs) is for the exhaustive and sfi kinds; use sa0 or sa1");
      } else {
        c.fault_model = fault::parse_fault_model(c.fault_model_name, &c.burst);
      }
    } catch (const Error& e) {
      fail("{}: key 'fault_model': {}", file, e.what());
    }
  }
  if (root["layers"]) {
    const auto& l = root["layers"];
    if (l.IsSequence()) {
      c.layers.clear();
      for (const auto& x : l) c.layers += (c.layers.empty() ? "" : ",") + x.as<std::string>();
    } else {
      c.layers = get<std::string>(l, "layers", file, "all, a list of names or re:REGEX");
    }
  }
  if (root["bits"]) c.bits = get<std::string>(root["bits"], "bits", file, "all, a list, a range or a field");
  if (root["nonfinite"]) {
    const auto v = get<std::string>(root["nonfinite"], "nonfinite", file, "a string");
    try {
      c.nonfinite = parse_nonfinite(v);
    } catch (const Error& e) {
      fail("{}: key 'nonfinite': {}", file, e.what());
    }
  }
  if (root["schedule"]) c.schedule = get<std::vector<int64_t>>(root["schedule"], "schedule", file, "a list of fault counts");
  for (size_t i = 1; i < c.schedule.size(); ++i)
    if (c.schedule[i] < c.schedule[i - 1]) fail("{}: key 'schedule' must be non-decreasing", file);
  if (root["faults_per_bit"]) c.faults_per_bit = get<int64_t>(root["faults_per_bit"], "faults_per_bit", file, "an integer");
  if (root["rate"]) c.rate = get<double>(root["rate"], "rate", file, "a number");
  if (root["faults"]) c.faults_csv = resolve(get<std::string>(root["faults"], "faults", file, "a CSV path"), file);
  if (root["count"]) c.count = get<int64_t>(root["count"], "count", file, "an integer");
  if (root["method"]) c.method = get<std::string>(root["method"], "method", file, "a string");
  if (c.method != "network" && c.method != "layer" && c.method != "data-unaware" && c.method != "data-aware" &&
      c.method != "adaptive")
    fail("{}: key 'method': '{}' is not one of network, layer, data-unaware, data-aware, adaptive", file, c.method);
  if (root["error"]) c.error = get<double>(root["error"], "error", file, "a number");
  if (!(c.error > 0 && c.error < 1)) fail("{}: key 'error': {} must be in (0, 1)", file, c.error);
  if (root["confidence"]) c.confidence = get<double>(root["confidence"], "confidence", file, "a number");
  if (!(c.confidence > 0 && c.confidence < 1)) fail("{}: key 'confidence': {} must be in (0, 1)", file, c.confidence);
  if (root["t"]) c.t = get<double>(root["t"], "t", file, "a number");
  if (root["criticality"]) c.criticality = get<std::string>(root["criticality"], "criticality", file, "a string");
  if (c.criticality != "pairs" && c.criticality != "any" && c.criticality.rfind("fraction:", 0) != 0)
    fail("{}: key 'criticality': '{}' is not one of pairs, any, fraction:X", file, c.criticality);
  if (root["p_rule"]) {
    const auto v = get<std::string>(root["p_rule"], "p_rule", file, "a string");
    try {
      c.p_rule = stats::parse_p_rule(v);
    } catch (const Error& e) {
      fail("{}: key 'p_rule': {}", file, e.what());
    }
  }
  if (c.kind == "single" && c.faults_csv.empty() == (c.count <= 0))
    fail("{}: kind 'single' needs exactly one of 'faults' (a CSV) or 'count'", file);
  return c;
}

CampaignConfig load_campaign(const std::string& path) { return parse_campaign(read_file(path), path); }

}  // namespace cnnfi::campaign
