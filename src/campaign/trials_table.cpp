#include "campaign/trials_table.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "campaign/outcome.h"
#include "store/store.h"
#include "util/error.h"
#include "util/file.h"
#include "util/strings.h"

namespace cnnfi::campaign {

namespace {

std::string number(double v) { return fmt::format("{}", v); }

}  // namespace

stats::Table trials_table(const std::vector<std::string>& stores) {
  if (stores.empty()) fail("fit: name at least one result store or --csv");
  static const std::vector<std::string> fixed = {"store", "model",  "kind",     "format",   "trial", "rep",
                                                 "x",     "n_faults", "images", "accuracy", "critical", "due",
                                                 "masked", "tolerable"};
  std::map<std::string, std::vector<std::string>> cols;
  std::vector<std::string> order = fixed;
  int64_t rows = 0;
  for (const auto& path : stores) {
    store::Store st(path, store::OpenMode::read);
    const auto m = st.meta();
    const auto policy = parse_nonfinite(m.nonfinite);
    for (const auto& r : st.trials()) {
      if (!r.done || r.images <= 0) continue;
      const auto c = count(r.facts, policy);
      const double n = static_cast<double>(c.images);
      std::map<std::string, std::string> row = {
          {"store", std::filesystem::path(path).stem().string()},
          {"model", std::filesystem::path(m.model).stem().string()},
          {"kind", m.kind},
          {"format", m.format},
          {"trial", std::to_string(r.trial)},
          {"rep", std::to_string(r.rep)},
          {"x", number(r.x)},
          {"n_faults", std::to_string(r.n_faults)},
          {"images", std::to_string(c.images)},
          {"accuracy", number(100.0 * static_cast<double>(c.images - c.misclassified) / n)},
          {"critical", number(static_cast<double>(c.critical) / n)},
          {"due", number(static_cast<double>(c.due) / n)},
          {"masked", number(static_cast<double>(c.masked) / n)},
          {"tolerable", number(static_cast<double>(c.tolerable) / n)}};
      for (const auto& tok : split(r.point, ' ')) {
        const auto eq = tok.find('=');
        if (eq == std::string::npos || eq == 0) continue;
        std::string key = tok.substr(0, eq);
        if (std::find(fixed.begin(), fixed.end(), key) != fixed.end()) key = "point_" + key;
        if (!cols.count(key) && std::find(order.begin(), order.end(), key) == order.end()) {
          order.push_back(key);
          cols[key].assign(static_cast<size_t>(rows), "");
        }
        row[key] = tok.substr(eq + 1);
      }
      for (const auto& name : order) cols[name].push_back(row.count(name) ? row[name] : "");
      ++rows;
    }
  }
  stats::Table t;
  t.source = join(stores, ", ");
  for (const auto& name : order) {
    auto& v = cols[name];
    v.resize(static_cast<size_t>(rows));
    t.add(name, std::move(v));
  }
  return t;
}

void export_trials(const std::string& store, const std::string& out, bool jsonl) {
  const stats::Table t = trials_table({store});
  std::string text;
  if (!jsonl) {
    for (size_t c = 0; c < t.names.size(); ++c) text += (c ? "," : "") + csv_cell(t.names[c]);
    text += "\n";
  }
  for (int64_t r = 0; r < t.rows(); ++r) {
    if (jsonl) {
      nlohmann::ordered_json row = nlohmann::ordered_json::object();
      for (size_t c = 0; c < t.names.size(); ++c) {
        const std::string& v = t.columns[c][static_cast<size_t>(r)];
        char* end = nullptr;
        const double d = v.empty() ? 0.0 : std::strtod(v.c_str(), &end);
        if (v.empty()) row[t.names[c]] = nullptr;
        else if (end == v.c_str() + v.size() && std::isfinite(d) && d == std::floor(d) && std::abs(d) < 9e15)
          row[t.names[c]] = static_cast<int64_t>(d);
        else if (end == v.c_str() + v.size() && std::isfinite(d)) row[t.names[c]] = d;
        else row[t.names[c]] = v;
      }
      text += row.dump() + "\n";
    } else {
      for (size_t c = 0; c < t.names.size(); ++c) text += (c ? "," : "") + csv_cell(t.columns[c][static_cast<size_t>(r)]);
      text += "\n";
    }
  }
  write_file_atomic(out, text);
}

}  // namespace cnnfi::campaign
