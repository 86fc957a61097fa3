#include "fault/weight_fault.h"

#include <cerrno>
#include <fstream>
#include <limits>
#include <map>
#include <tuple>

#include "util/error.h"
#include "util/strings.h"

namespace cnnfi::fault {

std::vector<std::vector<WeightFault>> group_faults(const std::vector<WeightFault>& faults) {
  std::vector<std::vector<WeightFault>> out;
  std::map<int64_t, size_t> where;
  for (const auto& f : faults) {
    if (f.group < 0) {
      out.push_back({f});
      continue;
    }
    const auto it = where.find(f.group);
    if (it == where.end()) {
      where[f.group] = out.size();
      out.push_back({f});
    } else {
      out[it->second].push_back(f);
    }
  }
  return out;
}

void refuse_repeats(const std::vector<std::vector<WeightFault>>& groups, const std::string& source, bool allow) {
  if (allow) return;
  for (const auto& g : groups) {
    if (g.size() < 2) continue;
    std::map<std::tuple<std::string, int64_t, int, int64_t>, int64_t> seen;
    for (const auto& f : g) {
      const auto [it, fresh] = seen.emplace(std::make_tuple(f.param, f.flat_index, f.bit, f.image), f.id);
      if (!fresh)
        fail("{}: group {}: faults {} and {} both hit bit {} of {}[{}]; a second flip of one bit undoes the first, so "
             "the group would read as masked. Remove one, or allow it explicitly (inject --allow-repeat, campaign key "
             "allow_repeat: true)",
             source, f.group, it->second, f.id, f.bit, f.param, f.flat_index);
    }
  }
}

namespace {

/// An integer cell in [lo, hi]; overflow and trailing characters are errors, never clamped.
int64_t parse_int(const std::string& s, const std::string& path, int64_t line, const std::string& column, int64_t lo,
                  int64_t hi) {
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end) fail("{}:{}: column '{}': '{}' is not an integer", path, line, column, s);
  if (errno == ERANGE || v < lo || v > hi)
    fail("{}:{}: column '{}': {} is out of range [{}, {}]", path, line, column, s, lo, hi);
  return v;
}

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

}  // namespace

std::vector<WeightFault> read_fault_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("{}: cannot open", path);
  std::string line;
  if (!std::getline(in, line)) fail("{}: empty file, expected a header fault_id,param,flat_index,bit", path);
  const auto header = split(trim(line), ',');
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < header.size(); ++i) col[trim(header[i])] = i;
  const bool by_element = col.count("flat_index") && col.count("bit");
  const bool by_word = col.count("word") && col.count("lane");
  for (const char* need : {"fault_id", "param"})
    if (!col.count(need))
      fail("{}: header lacks column '{}' (need fault_id,param,flat_index,bit[,model][,group] or "
           "fault_id,param,word,lane[,memory][,model][,group])",
           path, need);
  if (!by_element && !by_word)
    fail("{}: header names neither flat_index and bit (an element's bit) nor word and lane (a memory word's bit)",
         path);
  std::vector<WeightFault> out;
  int64_t n = 1;
  while (std::getline(in, line)) {
    ++n;
    if (trim(line).empty()) continue;
    const auto cells = split(trim(line), ',');
    auto cell = [&](const std::string& name) -> std::string {
      const auto it = col.find(name);
      if (it == col.end() || it->second >= cells.size()) return "";
      return trim(cells[it->second]);
    };
    WeightFault f;
    f.id = parse_int(cell("fault_id"), path, n, "fault_id", 0, kMax);
    f.param = cell("param");
    if (f.param.empty()) fail("{}:{}: empty param", path, n);
    const bool element_row = by_element && !(cell("flat_index").empty() && cell("bit").empty());
    const bool word_row = by_word && !(cell("word").empty() && cell("lane").empty());
    if (element_row == word_row)
      fail("{}:{}: fill either flat_index and bit or word and lane{}", path, n, element_row ? ", not both" : "");
    if (element_row) {
      f.flat_index = parse_int(cell("flat_index"), path, n, "flat_index", 0, kMax);
      f.bit = static_cast<int>(parse_int(cell("bit"), path, n, "bit", 0, 63));
    } else {
      f.flat_index = -1;
      f.bit = -1;
      f.word = parse_int(cell("word"), path, n, "word", 0, kMax);
      f.lane = static_cast<int>(parse_int(cell("lane"), path, n, "lane", 0, 4095));
      const std::string m = cell("memory");
      f.memory = m.empty() ? 0 : parse_int(m, path, n, "memory", 0, kMax);
    }
    try {
      f.model = parse_fault_model(cell("model"), &f.burst);
    } catch (const Error& e) {
      fail("{}:{}: {}", path, n, e.what());
    }
    const std::string g = cell("group");
    f.group = g.empty() ? -1 : parse_int(g, path, n, "group", 0, kMax);
    const std::string img = cell("image");
    f.image = img.empty() || img == "all" ? -1 : parse_int(img, path, n, "image", 0, kMax);
    out.push_back(f);
  }
  return out;
}

void write_fault_csv(const std::string& path, const std::vector<WeightFault>& faults) {
  std::ofstream out(path);
  if (!out) fail("{}: cannot write", path);
  bool images = false;
  for (const auto& f : faults) {
    images = images || f.image >= 0;
    if (f.by_word()) fail("{}: fault {} is still given by memory word; resolve it before writing", path, f.id);
  }
  out << "fault_id,param,flat_index,bit,model,group" << (images ? ",image" : "") << "\n";
  for (const auto& f : faults) {
    out << f.id << ',' << f.param << ',' << f.flat_index << ',' << f.bit << ',' << to_string(f.model, f.burst) << ','
        << (f.group >= 0 ? std::to_string(f.group) : "");
    if (images) out << ',' << (f.image >= 0 ? std::to_string(f.image) : "all");
    out << '\n';
  }
}

}  // namespace cnnfi::fault
