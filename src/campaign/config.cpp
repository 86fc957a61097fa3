#include "campaign/config.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>


#include "campaign/keys.h"
#include "campaign/kind.h"
#include "data/source.h"
#include "repr/format.h"
#include "util/error.h"
#include "util/file.h"
#include "util/strings.h"

namespace cnnfi::campaign {

namespace {

/// Keys every kind reads (key_list.def).
const std::vector<std::string>& common() {
  static const std::vector<std::string> keys = common_keys();
  return keys;
}

/// A layer selection: a list of names (any characters), or all / re:REGEX / NAME[,NAME...].
fault::LayerSelection parse_layers(const Keys& k, const YAML::Node& l, const std::string& key) {
  if (l.IsSequence()) {
    std::vector<std::string> names;
    for (const auto& x : l) names.push_back(k.scalar(x, key, "a layer name"));
    if (names.empty()) k.bad(key, "an empty list selects nothing; write 'all' or name layers");
    return fault::LayerSelection::of(names);
  }
  try {
    return fault::LayerSelection::parse(k.scalar(l, key, "all, re:REGEX or a list"));
  } catch (const Error& e) {
    k.bad(key, e.what());
  }
}

/// protection: {scheme: tmr|secded|parity, bits: BITS (all), layers: all|[names]|re:X (all)}, or a
/// list of such mappings (one scheme; different bits per layer). Kind quantized guards modules
/// instead of bits: {scheme, modules: all|[i8, w8, b32, o32, o8], layers}.
fault::ProtectionSpec parse_protection(const Keys& k, const YAML::Node& n) {
  if (!n.IsMap()) k.bad("protection", "expected a mapping {scheme: tmr|secded|parity, bits: ..., layers: ...} or a list of them");
  fault::ProtectionSpec p;
  for (const auto& kv : n) {
    const std::string key = k.scalar(kv.first, "protection", "a key name");
    if (key != "scheme" && key != "bits" && key != "layers" && key != "modules")
      k.bad("protection", "unknown key '" + key + "'; protection reads scheme, bits, layers, modules");
  }
  if (!n["scheme"]) k.bad("protection", "needs 'scheme' (tmr, secded or parity)");
  try {
    p.scheme = fault::parse_scheme(k.scalar(n["scheme"], "protection.scheme", "a scheme name"));
  } catch (const Error& e) {
    k.bad("protection.scheme", e.what());
  }
  if (n["bits"]) p.bits = k.scalar(n["bits"], "protection.bits", "all, a list, a range or a field");
  if (n["layers"]) p.layers = parse_layers(k, n["layers"], "protection.layers");
  if (n["modules"]) {
    if (n["bits"]) k.bad("protection", "'modules' guards every bit of a quantised module; remove 'bits'");
    const YAML::Node& m = n["modules"];
    if (m.IsSequence()) {
      if (m.size() == 0) k.bad("protection.modules", "an empty list guards nothing");
      for (const auto& x : m) p.modules += (p.modules.empty() ? "" : ",") + k.scalar(x, "protection.modules", "a module name");
    } else {
      p.modules = k.scalar(m, "protection.modules", "all or a list of i8, w8, b32, o32, o8");
    }
  }
  return p;
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

/// The file paths of a data spec (idx:, cifar10:, cifar100:, npy:, folder:) resolved like
/// `model`: relative to the campaign file when they exist there (or nowhere else).
std::string resolve_data_paths(const std::string& spec, const std::string& file) {
  namespace fs = std::filesystem;
  const auto colon = spec.find(':');
  if (colon == std::string::npos || file.empty() || spec.compare(0, colon, "fashion-mnist") == 0) return spec;
  std::string out = spec.substr(0, colon + 1);
  const auto parts = split(spec.substr(colon + 1), ',');
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string p = parts[i];
    std::error_code ec;
    if (!p.empty() && !fs::path(p).is_absolute()) {
      const fs::path rel = fs::path(file).parent_path() / p;
      if (fs::exists(rel, ec) || !fs::exists(p, ec)) p = rel.lexically_normal().string();
    }
    out += (i ? "," : "") + p;
  }
  return out;
}


CampaignConfig parse_campaign(const std::string& text, const std::string& file) {
  // yaml-cpp parses nested collections recursively: a deep nesting would overflow the stack.
  if (text.size() > (1u << 20)) fail("{}: {} bytes; a campaign file is at most 1 MiB", file, text.size());
  // A NUL byte ends the text YAML reads but not the bytes the store hashes: refused, so the
  // configuration that ran is always the whole file.
  if (const auto nul = text.find('\0'); nul != std::string::npos)
    fail("{}: a NUL byte at offset {}; a campaign file is text", file, nul);
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
  // Every key must be common or read by this kind, and appear once (YAML readers disagree on
  // which of two values wins; a campaign that says `limit: 20` and later `limit: 5` is an error).
  std::set<std::string> seen;
  for (const auto& kv : root) {
    const std::string key = k.scalar(kv.first, "(a key)", "a key name");
    if (!seen.insert(key).second) fail("{}: key '{}' appears twice; keep one", file, key);
    const bool is_common = std::find(common().begin(), common().end(), key) != common().end();
    const bool own = std::find(kind->keys.begin(), kind->keys.end(), key) != kind->keys.end();
    if (is_common || own) continue;
    std::vector<std::string> users;
    for (const auto& e : kinds())
      if (std::find(e.keys.begin(), e.keys.end(), key) != e.keys.end()) users.push_back(e.name);
    if (!users.empty())
      fail("{}: key '{}' is not read by kind '{}' (it is for {}); remove it", file, key, c.kind, join(users, ", "));
    fail("{}: unknown key '{}'; kind '{}' reads: {}, {}", file, key, c.kind, join(common(), ", "),
         join(kind->keys, ", "));
  }
  if (!k.has("model")) fail("{}: key 'model' is required", file);
  c.model = k.path("model");
  if (k.has("data")) c.data = resolve_data_paths(k.text("data"), file);
  if (k.has("limit")) c.limit = k.integer("limit", 0, data::kMaxRecords);
  if (k.has("per_class")) c.per_class = k.integer("per_class", 0, data::kMaxRecords);
  if (k.has("batch")) c.batch = k.integer("batch", 1, 65536);
  if (k.has("preprocessing")) c.preprocessing = parse_preprocessing(k);
  if (k.has("format")) {
    c.format = k.text("format");
    try {
      if (c.format != "model") repr::find_format(c.format);
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
  if (k.has("layers")) c.layers = parse_layers(k, root["layers"], "layers");
  if (k.has("bits")) c.bits = k.scalar(root["bits"], "bits", "all, a list, a range or a field");
  if (k.has("nonfinite")) {
    try {
      c.nonfinite = parse_nonfinite(k.text("nonfinite"));
    } catch (const Error& e) {
      k.bad("nonfinite", e.what());
    }
  }
  if (k.has("layout")) {
    try {
      c.layout = fault::Layout::parse(k.text("layout"));
    } catch (const Error& e) {
      k.bad("layout", e.what());
    }
  }
  if (k.has("exact")) {
    const std::string e = k.text("exact");
    if (e != "true" && e != "false") k.bad("exact", "expected true or false");
    c.exact = e == "true";
  }
  if (k.has("protection")) {
    const YAML::Node& n = root["protection"];
    if (n.IsSequence()) {
      for (const auto& x : n) c.protection.push_back(parse_protection(k, x));
      if (c.protection.empty()) k.bad("protection", "an empty list protects nothing; remove the key");
    } else {
      c.protection.push_back(parse_protection(k, n));
    }
    for (const auto& p : c.protection)
      if (p.scheme != c.protection.front().scheme) k.bad("protection", "one scheme per campaign");
  }
  if (!k.has("fault_model") && (c.kind == "sfi" || c.kind == "exhaustive")) {
    c.fault_model = fault::parse_fault_model_choice("sa");
    c.defaults.push_back("fault_model sa (both stuck-ats per bit, seed 004; as cnnfi plan)");
  }
  c.options = kind->parse(k);
  return c;
}

std::vector<std::string> CampaignConfig::all_defaults() const {
  auto out = defaults;
  if (options)
    for (auto& d : options->defaults()) out.push_back(std::move(d));
  return out;
}

CampaignConfig load_campaign(const std::string& path) { return parse_campaign(read_file(path), path); }

}  // namespace cnnfi::campaign
