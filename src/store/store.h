// The result store: one SQLite file per campaign. It holds the campaign's metadata (store/meta.h:
// config as YAML, seed, cnnfi version, model and data SHA-256, ...), the golden predictions,
// every planned trial with its fault list, and every finished trial's per-image facts and
// outcome counts. Written results are committed in transactions (WAL, synchronous=FULL), so a
// killed campaign loses at most the chunk in flight and resumes where it stopped.
//
// A store is marked as cnnfi's (SQLite application_id) with its schema version (user_version).
// Opened for reading, it is opened read-only (a store whose write-ahead log is closed is opened
// immutable, so not even lock files appear), a file that is not a cnnfi store is refused, and
// every row read back is checked before use. Opened for writing, an existing file that is not a
// cnnfi store is refused rather than altered.
#pragma once
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fault/weight_fault.h"
#include "store/meta.h"

struct sqlite3;

namespace cnnfi::store {

/// Schema versions: 1 stored every finished trial's facts one byte per image; 2 stores them
/// relative to the golden facts (empty when all golden, sparse when few differ). This cnnfi reads
/// both and writes 2 (writing into a version-1 store, on resume, marks it 2).
constexpr int kSchemaVersion = 2;

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

enum class OpenMode { read, write };

class Store {
 public:
  /// Opens the store at `path`: for reading (it must exist and be a cnnfi store), or for writing
  /// (created if absent or empty). Errors name the path.
  Store(const std::string& path, OpenMode mode);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return path_; }
  bool planned() const;  ///< has a plan (meta + trials) been written?
  Meta meta() const;
  void write_meta(const Meta& meta);

  /// Writes the metadata, golden rows and the trial plan in one transaction.
  void write_plan(const Meta& meta, const std::vector<GoldenRow>& golden, const std::vector<TrialPlan>& trials);
  std::set<int64_t> finished_trials() const;
  /// Records finished trials (one transaction for all of them).
  void write_results(const std::vector<TrialRow>& rows);
  /// Adds trials to the plan (adaptive rounds), recording the round count in the metadata.
  void append_plan(const std::vector<TrialPlan>& trials, int64_t round);

  std::vector<TrialPlan> plan() const;
  std::vector<TrialRow> trials() const;  ///< every planned trial, with results where finished
  std::vector<GoldenRow> golden() const;

  /// Streams every planned trial in trial order, with its result where finished, checked as
  /// trials() checks it; memory stays bounded by one trial, whatever the store's size. With
  /// `faults`, each trial's fault list comes too (the plan's fault rows, in their order).
  using TrialVisitor = std::function<void(const TrialRow& row, const std::vector<fault::WeightFault>& faults)>;
  void for_each_trial(const TrialVisitor& visit, bool faults = false) const;

 private:
  void exec(const std::string& sql) const;
  void insert_trials(const std::vector<TrialPlan>& trials);
  void check_is_cnnfi_store(bool allow_empty) const;
  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace cnnfi::store
