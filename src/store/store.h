// The result store: one SQLite file per campaign. It holds the campaign's metadata (store/meta.h:
// config as YAML, seed, cnnfi version, model and data SHA-256, ...), the golden predictions,
// every planned trial with its fault list (one row per trial and fault, or one row per run of
// trials that an index defines: TrialPlan::run), and every finished trial's per-image facts and
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
/// relative to the golden facts (empty when all golden, sparse when few differ); 3 adds runs
/// (TrialPlan::run), one row for many one-fault trials. This cnnfi reads all three and writes 3
/// (writing into an older store, on resume, marks it 3).
constexpr int kSchemaVersion = 3;

struct TrialPlan {
  int64_t trial = 0;
  std::string point;   ///< what the campaign varies, e.g. "faults=10", "bit=30", "layer=conv1.weight"
  double x = 0;        ///< its numeric value for plots (fault count, bit, layer index)
  int rep = 0;
  std::vector<fault::WeightFault> faults;
  /// How many trials this entry stands for. Above 1 it is a run: trials trial .. trial + run - 1,
  /// one fault each, defined by their index k. With m = faults.size() (the cycle: faults on the
  /// same param, bit and flat_index that differ in fault model only, ids consecutive), trial
  /// trial + k holds faults[k % m] moved to flat_index + k / m, with fault id faults[0].id + k.
  /// An exhaustive (layer, bit) stratum is one run (m = 2 for stuck-at pairs): 17 M faults of
  /// ResNet-20 are 640 rows, not 34 M. run_trial() expands one trial.
  int64_t run = 1;
};

/// The largest tensor a run may walk (elements): a run's count never passes it, so a reader can
/// refuse a forged count before it expands the run. No CNN weight tensor comes near it (VGG-16's
/// largest has 1.03e8 elements).
constexpr int64_t kMaxTensorElements = int64_t{1} << 31;

/// Trial `k` (0 <= k < run) of a run, as a one-fault plan of its own.
TrialPlan run_trial(const TrialPlan& run, int64_t k);
/// The trials a plan stands for (runs counted in full).
int64_t planned_trials(const std::vector<TrialPlan>& plan);

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
  /// finished[t] for every trial t below `trials` (a bit each: bounded for millions of trials).
  std::vector<bool> finished_mask(int64_t trials) const;
  /// Records finished trials (one transaction for all of them).
  void write_results(const std::vector<TrialRow>& rows);
  /// Adds trials to the plan (adaptive rounds), recording the round count in the metadata.
  void append_plan(const std::vector<TrialPlan>& trials, int64_t round);

  /// Every planned trial, runs expanded (small plans and tests; a plan of millions of trials
  /// should be read with plan_entries or for_each_trial).
  std::vector<TrialPlan> plan() const;
  /// The plan as stored, in trial order: runs stay one entry each.
  std::vector<TrialPlan> plan_entries() const;
  std::vector<TrialRow> trials() const;  ///< every planned trial, with results where finished
  std::vector<GoldenRow> golden() const;

  /// Streams every planned trial in trial order, with its result where finished, checked as
  /// trials() checks it; memory stays bounded by one trial, whatever the store's size. With
  /// `faults`, each trial's fault list comes too (the plan's fault rows, in their order).
  using TrialVisitor = std::function<void(const TrialRow& row, const std::vector<fault::WeightFault>& faults)>;
  /// Without `results`, every trial comes as unfinished (the plan alone).
  void for_each_trial(const TrialVisitor& visit, bool faults = false, bool results = true) const;

 private:
  void exec(const std::string& sql) const;
  void insert_trials(const std::vector<TrialPlan>& trials);
  void check_is_cnnfi_store(bool allow_empty) const;
  std::vector<TrialPlan> read_runs() const;
  /// for_each_trial, or with `on_run` the runs whole (not expanded, without results).
  void walk(const TrialVisitor& visit, bool faults, bool results, const std::function<void(const TrialPlan&)>& on_run) const;
  std::string path_;
  bool has_runs_ = false;  ///< the runs table exists (schema 3)
  sqlite3* db_ = nullptr;
};

}  // namespace cnnfi::store
