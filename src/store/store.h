// The result store: one SQLite file per campaign. It holds the campaign's metadata (config as
// YAML, seed, cnnfi version, model and data SHA-256, ...), the golden predictions, every planned
// trial with its fault list, and every finished trial's per-image facts and outcome counts.
// Each finished trial is its own transaction (WAL, synchronous=FULL), so a killed campaign
// loses at most the trial in flight and resumes where it stopped.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fault/weight_fault.h"

struct sqlite3;

namespace cnnfi::store {

struct TrialPlan {
  int64_t trial = 0;
  std::string point;   ///< what the campaign varies, e.g. "faults=10", "bit=30", "layer=conv1.weight"
  double x = 0;        ///< its numeric value for plots (fault count, bit, layer index)
  int rep = 0;
  std::vector<fault::WeightFault> faults;
};

struct TrialRow {
  int64_t trial = 0;
  std::string point;
  double x = 0;
  int rep = 0;
  int64_t n_faults = 0;
  bool done = false;
  bool skipped = false;
  int64_t masked = 0, tolerable = 0, critical = 0, due = 0, misclassified = 0, top5_miss = 0, images = 0;
  std::vector<uint8_t> facts;
};

struct GoldenRow {
  int64_t image = 0, label = 0, top1 = 0;
  uint8_t facts = 0;
};

class Store {
 public:
  /// Opens (creating if needed) the store at `path`; errors name the path (a damaged file too).
  explicit Store(const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return path_; }
  bool planned() const;  ///< has a plan (meta + trials) been written?
  std::map<std::string, std::string> meta() const;
  void set_meta(const std::string& key, const std::string& value);

  /// Writes the metadata, golden rows and the trial plan in one transaction.
  void write_plan(const std::map<std::string, std::string>& meta, const std::vector<GoldenRow>& golden,
                  const std::vector<TrialPlan>& trials);
  std::set<int64_t> finished_trials() const;
  /// Records finished trials (one transaction for all of them).
  void write_result(const TrialRow& row);
  void write_results(const std::vector<TrialRow>& rows);
  /// Adds trials to the plan (adaptive rounds), recording the round in meta "rounds".
  void append_plan(const std::vector<TrialPlan>& trials, const std::string& round);

  std::vector<TrialPlan> plan() const;
  std::vector<TrialRow> trials() const;  ///< every planned trial, with results where finished
  std::vector<GoldenRow> golden() const;

 private:
  void exec(const std::string& sql) const;
  void insert_trials(const std::vector<TrialPlan>& trials);
  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace cnnfi::store
