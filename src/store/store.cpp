#include "store/store.h"

#include <sqlite3.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <optional>

#include "campaign/outcome.h"
#include "util/error.h"
#include "util/strings.h"

namespace cnnfi::store {

namespace {

class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql, const std::string& path) : path_(path) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s_, nullptr) != SQLITE_OK)
      fail("{}: result store error: {} (in '{}')", path, sqlite3_errmsg(db), sql.substr(0, 60));
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt& bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); return *this; }
  Stmt& bind(int i, double v) { sqlite3_bind_double(s_, i, v); return *this; }
  Stmt& bind(int i, const std::string& v) { sqlite3_bind_text(s_, i, v.c_str(), -1, SQLITE_TRANSIENT); return *this; }
  Stmt& bind_blob(int i, const std::vector<uint8_t>& v) {
    if (v.empty()) sqlite3_bind_zeroblob(s_, i, 0);  // an empty blob, not NULL
    else sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail("{}: result store error: {}", path_, sqlite3_errmsg(sqlite3_db_handle(s_)));
    return false;
  }
  void run() {
    step();
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  int64_t i64(int c) { return sqlite3_column_int64(s_, c); }
  double dbl(int c) { return sqlite3_column_double(s_, c); }
  std::string text(int c) {
    const auto* p = sqlite3_column_text(s_, c);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  bool is_null(int c) { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  bool is_int(int c) { return sqlite3_column_type(s_, c) == SQLITE_INTEGER; }
  bool is_number(int c) { return is_int(c) || sqlite3_column_type(s_, c) == SQLITE_FLOAT; }
  bool is_text(int c) { return sqlite3_column_type(s_, c) == SQLITE_TEXT; }
  std::vector<uint8_t> blob(int c) {
    const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(s_, c));
    return p ? std::vector<uint8_t>(p, p + sqlite3_column_bytes(s_, c)) : std::vector<uint8_t>{};
  }

 private:
  sqlite3_stmt* s_ = nullptr;
  std::string path_;
};

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS golden(image INTEGER PRIMARY KEY, label INTEGER NOT NULL, top1 INTEGER NOT NULL,
                                  facts INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS trials(trial INTEGER PRIMARY KEY, point TEXT NOT NULL, x REAL NOT NULL,
                                  rep INTEGER NOT NULL, n_faults INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS faults(trial INTEGER NOT NULL, fault_id INTEGER NOT NULL, param TEXT NOT NULL,
                                  flat_index INTEGER NOT NULL, bit INTEGER NOT NULL, model TEXT NOT NULL,
                                  grp INTEGER, image INTEGER);
CREATE INDEX IF NOT EXISTS faults_by_trial ON faults(trial);
CREATE TABLE IF NOT EXISTS results(trial INTEGER PRIMARY KEY, skipped INTEGER NOT NULL, images INTEGER NOT NULL,
                                   masked INTEGER NOT NULL, tolerable INTEGER NOT NULL, critical INTEGER NOT NULL,
                                   due INTEGER NOT NULL, misclassified INTEGER NOT NULL, top5_miss INTEGER NOT NULL,
                                   facts BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS runs(trial INTEGER PRIMARY KEY, count INTEGER NOT NULL, point TEXT NOT NULL,
                                x REAL NOT NULL, rep INTEGER NOT NULL, fault_id INTEGER NOT NULL, param TEXT NOT NULL,
                                flat_index INTEGER NOT NULL, bit INTEGER NOT NULL, models TEXT NOT NULL);
)sql";

/// 'cnfi': the SQLite application_id of a cnnfi result store.
constexpr int kApplicationId = 0x636e6669;
/// The tables every version has; schema 3 adds "runs".
const char* kTables[] = {"meta", "golden", "trials", "faults", "results"};

}  // namespace

Store::Store(const std::string& path, OpenMode mode) : path_(path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool exists = fs::exists(path, ec);
  if (mode == OpenMode::read) {
    if (!exists) fail("{}: no such result store", path);
    if (!fs::is_regular_file(path, ec)) fail("{}: not a file, so not a cnnfi result store", path);
    if (fs::file_size(path, ec) == 0) fail("{}: the file is empty, not a cnnfi result store", path);
  }
  // A reader opens a store whose write-ahead log is closed as immutable: SQLite then creates no
  // -wal/-shm files and takes no locks; a store being written (its -wal exists) is read through
  // the log, read-only.
  const bool live_log = fs::exists(path + "-wal", ec);
  std::string uri = "file:";
  for (char c : fs::absolute(path, ec).string()) {
    if (c == '%' || c == '?' || c == '#') uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    else uri += c;
  }
  if (mode == OpenMode::read && !live_log) uri += "?immutable=1";
  const int flags = (mode == OpenMode::read ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_URI;
  if (sqlite3_open_v2(uri.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    fail("{}: cannot open the result store: {}", path, msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  try {
    check_is_cnnfi_store(mode == OpenMode::write);
    if (mode == OpenMode::write) {
      exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
      exec(kSchema);
      exec(fmt::format("PRAGMA application_id={}; PRAGMA user_version={};", kApplicationId, kSchemaVersion));
      has_runs_ = true;
    }
  } catch (const Error&) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

Store::~Store() {
  if (db_) sqlite3_close(db_);
}

void Store::check_is_cnnfi_store(bool allow_empty) const {
  int64_t app = 0, version = 0, tables = 0, ours = 0;
  try {
    Stmt a(db_, "PRAGMA application_id", path_);
    if (a.step()) app = a.i64(0);
    Stmt v(db_, "PRAGMA user_version", path_);
    if (v.step()) version = v.i64(0);
    Stmt t(db_, "SELECT name FROM sqlite_master WHERE type = 'table'", path_);
    while (t.step()) {
      ++tables;
      for (const char* name : kTables) ours += t.text(0) == name;
      if (t.text(0) == "runs") const_cast<Store*>(this)->has_runs_ = true;
    }
  } catch (const Error&) {
    fail("{}: not a cnnfi result store (not an SQLite database, or damaged)", path_);
  }
  if (tables == 0 && app == 0) {
    if (allow_empty) return;
    fail("{}: not a cnnfi result store (an empty SQLite database)", path_);
  }
  const bool legacy = app == 0 && version == 0 && ours == static_cast<int64_t>(std::size(kTables));
  if (app != kApplicationId && !legacy)
    fail("{}: not a cnnfi result store (another program's SQLite database: application id {:#x}, tables {}); "
         "{} it",
         path_, app, tables, allow_empty ? "refusing to write into" : "cannot read");
  if (!legacy && (version < 1 || version > kSchemaVersion))
    fail("{}: cnnfi result store of schema version {}; this cnnfi reads versions 1 to {}", path_, version,
         kSchemaVersion);
  if (ours != static_cast<int64_t>(std::size(kTables)) && !allow_empty)
    fail("{}: damaged cnnfi result store: {} of its {} tables are missing", path_,
         static_cast<int64_t>(std::size(kTables)) - ours, std::size(kTables));
  if (version >= 3 && !has_runs_ && !allow_empty)
    fail("{}: damaged cnnfi result store: schema version {} without its table of runs", path_, version);
}

void Store::exec(const std::string& sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    fail("{}: result store error: {}", path_, msg);
  }
}

bool Store::planned() const {
  Stmt s(db_, "SELECT COUNT(*) FROM meta WHERE key = 'planned'", path_);
  return s.step() && s.i64(0) > 0;
}

Meta Store::meta() const {
  std::map<std::string, std::string> m;
  Stmt s(db_, "SELECT key, value FROM meta", path_);
  while (s.step()) m[s.text(0)] = s.text(1);
  if (!m.count("planned")) fail("{}: holds no campaign yet (it was never started, or stopped before its plan was written)", path_);
  return Meta::from_map(m, path_);
}

void Store::write_meta(const Meta& meta) {
  exec("BEGIN IMMEDIATE");
  try {
    Stmt m(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", path_);
    for (const auto& [k, v] : meta.to_map()) m.bind(1, k).bind(2, v).run();
    exec("COMMIT");
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

void Store::write_plan(const Meta& meta, const std::vector<GoldenRow>& golden, const std::vector<TrialPlan>& trials) {
  exec("BEGIN IMMEDIATE");
  try {
    Stmt m(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", path_);
    for (const auto& [k, v] : meta.to_map()) m.bind(1, k).bind(2, v).run();
    Stmt g(db_, "INSERT INTO golden(image, label, top1, facts) VALUES(?, ?, ?, ?)", path_);
    for (const auto& r : golden) g.bind(1, r.image).bind(2, r.label).bind(3, r.top1).bind(4, int64_t{r.facts}).run();
    insert_trials(trials);
    m.bind(1, std::string("planned")).bind(2, std::string("1")).run();
    exec("COMMIT");
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

void Store::insert_trials(const std::vector<TrialPlan>& trials) {
  Stmt t(db_, "INSERT INTO trials(trial, point, x, rep, n_faults) VALUES(?, ?, ?, ?, ?)", path_);
  Stmt f(db_, "INSERT INTO faults(trial, fault_id, param, flat_index, bit, model, grp, image) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
         path_);
  Stmt r(db_,
         "INSERT INTO runs(trial, count, point, x, rep, fault_id, param, flat_index, bit, models) "
         "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
         path_);
  for (const auto& tp : trials) {
    if (tp.run > 1) {
      std::string models;
      for (size_t j = 0; j < tp.faults.size(); ++j) {
        const auto& a = tp.faults[j];
        const auto& c = tp.faults[0];
        if (a.param != c.param || a.bit != c.bit || a.flat_index != c.flat_index || a.id != c.id + static_cast<int64_t>(j) ||
            a.group != -1 || a.image != -1)
          fail("{}: internal error: run at trial {}: its faults differ in more than their model", path_, tp.trial);
        models += (j ? "," : "") + fault::to_string(a.model, a.burst);
      }
      if (tp.faults.empty()) fail("{}: internal error: run at trial {} has no faults", path_, tp.trial);
      const auto m = static_cast<int64_t>(tp.faults.size());
      if (tp.faults[0].flat_index >= kMaxTensorElements || (tp.run - 1) / m >= kMaxTensorElements - tp.faults[0].flat_index)
        fail("{}: {} has more elements than the {} a stored run may walk", path_, tp.faults[0].param, kMaxTensorElements);
      const auto& c = tp.faults[0];
      r.bind(1, tp.trial).bind(2, tp.run).bind(3, tp.point).bind(4, tp.x).bind(5, int64_t{tp.rep}).bind(6, c.id)
          .bind(7, c.param).bind(8, c.flat_index).bind(9, int64_t{c.bit}).bind(10, models).run();
      continue;
    }
    t.bind(1, tp.trial).bind(2, tp.point).bind(3, tp.x).bind(4, int64_t{tp.rep})
        .bind(5, static_cast<int64_t>(tp.faults.size())).run();
    for (const auto& fa : tp.faults)
      f.bind(1, tp.trial).bind(2, fa.id).bind(3, fa.param).bind(4, fa.flat_index).bind(5, int64_t{fa.bit})
          .bind(6, fault::to_string(fa.model, fa.burst)).bind(7, fa.group).bind(8, fa.image).run();
  }
}

TrialPlan run_trial(const TrialPlan& run, int64_t k) {
  if (k < 0 || k >= run.run || run.faults.empty()) fail("internal error: trial {} of a run of {}", k, run.run);
  const auto m = static_cast<int64_t>(run.faults.size());
  TrialPlan t;
  t.trial = run.trial + k;
  t.point = run.point;
  t.x = run.x;
  t.rep = run.rep;
  auto f = run.faults[static_cast<size_t>(k % m)];
  f.flat_index += k / m;
  f.id = run.faults[0].id + k;
  t.faults = {std::move(f)};
  return t;
}

int64_t planned_trials(const std::vector<TrialPlan>& plan) {
  int64_t n = 0;
  for (const auto& p : plan) n += std::max<int64_t>(p.run, 1);
  return n;
}

void Store::append_plan(const std::vector<TrialPlan>& trials, int64_t round) {
  exec("BEGIN IMMEDIATE");
  try {
    insert_trials(trials);
    Stmt(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES('rounds', ?)", path_).bind(1, std::to_string(round)).run();
    exec("COMMIT");
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

std::set<int64_t> Store::finished_trials() const {
  std::set<int64_t> out;
  Stmt s(db_, "SELECT trial FROM results", path_);
  while (s.step()) out.insert(s.i64(0));
  return out;
}

std::vector<bool> Store::finished_mask(int64_t trials) const {
  std::vector<bool> out(static_cast<size_t>(std::max<int64_t>(trials, 0)), false);
  Stmt s(db_, "SELECT trial FROM results", path_);
  while (s.step()) {
    const int64_t t = s.i64(0);
    if (t < 0 || t >= trials) fail("{}: damaged result store: a result names trial {}, which is not planned", path_, t);
    out[static_cast<size_t>(t)] = true;
  }
  return out;
}

namespace {

// A trial's facts as stored: empty when every image has its golden fact; else the images whose
// fact differs, as (LEB128 gap to the previous such image, fact) pairs, when that is shorter
// than one byte per image; else one byte per image. The length tells them apart: `images` bytes
// is dense, 0 is golden, anything else sparse (a sparse encoding of exactly `images` bytes is
// written dense instead).
std::vector<uint8_t> encode_facts(const std::vector<uint8_t>& facts, const std::vector<uint8_t>& golden) {
  if (facts.size() != golden.size()) return facts;  // refused when read back, as before
  std::vector<uint8_t> sparse;
  size_t prev = 0;
  bool first = true;
  for (size_t i = 0; i < facts.size(); ++i) {
    if (facts[i] == golden[i]) continue;
    uint64_t gap = first ? i : i - prev - 1;
    do {
      const uint8_t b = gap & 0x7f;
      gap >>= 7;
      sparse.push_back(static_cast<uint8_t>(b | (gap ? 0x80 : 0)));
    } while (gap);
    sparse.push_back(facts[i]);
    prev = i;
    first = false;
    if (sparse.size() >= facts.size()) return facts;
  }
  return sparse;
}

/// Inverse of encode_facts; nullopt when the bytes are not a valid encoding for `golden`.
std::optional<std::vector<uint8_t>> decode_facts(const std::vector<uint8_t>& blob, const std::vector<uint8_t>& golden) {
  if (blob.size() == golden.size()) return blob;
  std::vector<uint8_t> out = golden;
  size_t pos = 0, next = 0;
  while (pos < blob.size()) {
    uint64_t gap = 0;
    int shift = 0;
    for (;;) {
      if (pos >= blob.size() || shift > 56) return std::nullopt;
      const uint8_t b = blob[pos++];
      gap |= uint64_t{b & 0x7fu} << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    if (pos >= blob.size() || gap >= golden.size() - std::min(next, golden.size())) return std::nullopt;
    const size_t i = next + gap;
    if (i >= golden.size()) return std::nullopt;
    out[i] = blob[pos++];
    next = i + 1;
  }
  return out;
}

}  // namespace

void Store::write_results(const std::vector<TrialRow>& rows) {
  std::vector<uint8_t> golden_facts;
  for (const auto& g : golden()) golden_facts.push_back(g.facts);
  exec("BEGIN IMMEDIATE");
  try {
    Stmt s(db_,
           "INSERT OR REPLACE INTO results(trial, skipped, images, masked, tolerable, critical, due, misclassified, "
           "top5_miss, facts) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
           path_);
    for (const auto& r : rows) {
      // A skipped (provably masked) trial's facts are the golden ones: not stored again.
      static const std::vector<uint8_t> none;
      s.bind(1, r.trial).bind(2, int64_t{r.skipped}).bind(3, r.images).bind(4, r.masked).bind(5, r.tolerable)
          .bind(6, r.critical).bind(7, r.due).bind(8, r.misclassified).bind(9, r.top5_miss)
          .bind_blob(10, r.skipped ? none : encode_facts(r.facts, golden_facts)).run();
    }
    exec("COMMIT");
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

namespace {

/// One fault row, checked; `trial` names it in errors.
fault::WeightFault read_fault(Stmt& f, int first, int64_t trial, const std::string& path) {
  fault::WeightFault w;
  w.id = f.i64(first);
  w.param = f.text(first + 1);
  w.flat_index = f.i64(first + 2);
  const int64_t bit = f.i64(first + 3);
  if (w.param.empty() || w.flat_index < 0 || bit < 0 || bit > 63 || !f.is_int(first + 2) || !f.is_int(first + 3) ||
      (!f.is_null(first + 5) && f.i64(first + 5) < -1) || (!f.is_null(first + 6) && f.i64(first + 6) < -1))
    fail("{}: damaged result store: trial {} holds a fault with param '{}', index {}, bit {}: out of range", path,
         trial, w.param, w.flat_index, bit);
  w.bit = static_cast<int>(bit);
  try {
    w.model = fault::parse_fault_model(f.text(first + 4), &w.burst);
  } catch (const Error& e) {
    fail("{}: damaged result store: trial {}: {}", path, trial, e.what());
  }
  w.group = f.is_null(first + 5) ? -1 : f.i64(first + 5);
  w.image = f.is_null(first + 6) ? -1 : f.i64(first + 6);
  return w;
}

TrialPlan plan_of(const TrialRow& r, const std::vector<fault::WeightFault>& faults) {
  TrialPlan p;
  p.trial = r.trial;
  p.point = r.point;
  p.x = r.x;
  p.rep = r.rep;
  p.faults = faults;
  return p;
}

}  // namespace

std::vector<TrialPlan> Store::plan() const {
  std::vector<TrialPlan> out;
  for_each_trial(
      [&](const TrialRow& r, const std::vector<fault::WeightFault>& faults) { out.push_back(plan_of(r, faults)); },
      true);
  return out;
}

std::vector<TrialPlan> Store::read_runs() const {
  std::vector<TrialPlan> out;
  if (!has_runs_) return out;
  Stmt s(db_, "SELECT trial, count, point, x, rep, fault_id, param, flat_index, bit, models FROM runs ORDER BY trial",
         path_);
  int64_t end = 0;
  while (s.step()) {
    for (int c : {0, 1, 4, 5, 7, 8})
      if (!s.is_int(c)) fail("{}: damaged result store: a run's column {} is not an integer", path_, c + 1);
    if (!s.is_number(3) || !s.is_text(2) || !s.is_text(6) || !s.is_text(9))
      fail("{}: damaged result store: the run of trials from {}: its x, point, param or models is of the wrong type",
           path_, s.i64(0));
    TrialPlan p;
    p.trial = s.i64(0);
    p.run = s.i64(1);
    p.point = s.text(2);
    p.x = s.dbl(3);
    const int64_t rep = s.i64(4), id = s.i64(5), index = s.i64(7), bit = s.i64(8);
    const std::string param = s.text(6), models = s.text(9);
    const auto bad = [&](const char* what) {
      fail("{}: damaged result store: the run of trials from {}: {}", path_, p.trial, what);
    };
    if (p.trial < end) bad("it overlaps the run before it");
    if (p.trial < 0 || p.run < 2 || p.run > INT64_MAX - p.trial) bad("its first trial or count is out of range");
    if (!std::isfinite(p.x) || rep < 0 || rep > INT32_MAX) bad("its x or repetition is out of range");
    if (id < 0 || id > INT64_MAX - p.run || param.empty() || index < 0 || bit < 0 || bit > 63)
      bad("its fault id, param, index or bit is out of range");
    p.rep = static_cast<int>(rep);
    for (const auto& name : split(models, ',')) {
      if (name.empty()) bad("an empty fault model");
      fault::WeightFault f;
      f.id = id + static_cast<int64_t>(p.faults.size());
      f.param = param;
      f.flat_index = index;
      f.bit = static_cast<int>(bit);
      try {
        f.model = fault::parse_fault_model(name, &f.burst);
      } catch (const Error& e) {
        fail("{}: damaged result store: the run of trials from {}: {}", path_, p.trial, e.what());
      }
      p.faults.push_back(std::move(f));
    }
    if (p.faults.empty() || p.faults.size() > 8) bad("its fault models are missing or too many");
    // A run is one (tensor, bit) stratum: its trials walk the tensor's elements, so its count
    // cannot pass the largest tensor cnnfi plans. Checked before any reader expands it (a forged
    // count would otherwise make every reader walk trillions of trials).
    const auto m = static_cast<int64_t>(p.faults.size());
    if (index >= kMaxTensorElements || (p.run - 1) / m >= kMaxTensorElements - index)
      fail("{}: damaged result store: the run of trials from {}: its count {} from element {} passes the largest "
           "tensor cnnfi plans ({} elements)",
           path_, p.trial, p.run, index, kMaxTensorElements);
    end = p.trial + p.run;
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<TrialPlan> Store::plan_entries() const {
  std::vector<TrialPlan> out;
  walk(
      [&](const TrialRow& r, const std::vector<fault::WeightFault>& faults) { out.push_back(plan_of(r, faults)); },
      true, false, [&](const TrialPlan& run) { out.push_back(run); });
  return out;
}

std::vector<TrialRow> Store::trials() const {
  std::vector<TrialRow> out;
  for_each_trial([&](const TrialRow& r, const std::vector<fault::WeightFault>&) { out.push_back(r); });
  return out;
}

void Store::for_each_trial(const TrialVisitor& visit, bool with_faults, bool with_results) const {
  walk(visit, with_faults, with_results, nullptr);
}

void Store::walk(const TrialVisitor& visit, bool with_faults, bool with_results,
                 const std::function<void(const TrialPlan&)>& on_run) const {
  std::vector<uint8_t> golden_facts;
  for (const auto& g : golden()) golden_facts.push_back(g.facts);
  const auto images = static_cast<int64_t>(golden_facts.size());
  // Counts must be what the facts give under the store's non-finite policy.
  const std::string nf = meta().nonfinite;
  const auto policy = nf.empty() ? campaign::NonFinitePolicy::due : campaign::parse_nonfinite(nf);
  const auto runs = read_runs();
  // Three cursors walk in trial order (each table's primary key): the trials planned one row each,
  // their faults (the faults_by_trial index gives that order without sorting) and the results.
  // Runs interleave with the trials by their first trial.
  Stmt s(db_, "SELECT trial, point, x, rep, n_faults FROM trials ORDER BY trial", path_);
  std::optional<Stmt> res, f;
  if (with_results)
    res.emplace(db_,
                "SELECT trial, skipped, images, masked, tolerable, critical, due, misclassified, top5_miss, facts "
                "FROM results ORDER BY trial",
                path_);
  if (with_faults)
    f.emplace(db_,
              "SELECT trial, fault_id, param, flat_index, bit, model, grp, image FROM faults ORDER BY trial, rowid",
              path_);
  bool s_row = s.step(), r_row = res && res->step(), f_row = f && f->step();
  const auto attach_result = [&](TrialRow& r) {
    if (r_row && res->i64(0) < r.trial)
      fail("{}: damaged result store: a result names trial {}, which is not planned", path_, res->i64(0));
    if (!r_row || res->i64(0) != r.trial) return;
    r.done = true;
    r.skipped = res->i64(1) != 0;
    r.images = res->i64(2);
    r.masked = res->i64(3);
    r.tolerable = res->i64(4);
    r.critical = res->i64(5);
    r.due = res->i64(6);
    r.misclassified = res->i64(7);
    r.top5_miss = res->i64(8);
    const auto facts = decode_facts(res->blob(9), golden_facts);
    if (facts) r.facts = *facts;
    bool ok = facts && r.images == images && static_cast<int64_t>(r.facts.size()) == images;
    for (int64_t c : {r.masked, r.tolerable, r.critical, r.due, r.misclassified, r.top5_miss}) ok = ok && c >= 0 && c <= images;
    ok = ok && r.masked + r.tolerable + r.critical + r.due == images;
    if (ok) {
      const auto c = campaign::count(r.facts, policy);
      ok = c.masked == r.masked && c.tolerable == r.tolerable && c.critical == r.critical && c.due == r.due &&
           c.misclassified == r.misclassified && c.top5_miss == r.top5_miss;
    }
    if (!ok)
      fail("{}: damaged result store: the result of trial {} does not fit its {} images (counts or facts)", path_,
           r.trial, images);
    r_row = res->step();
  };
  TrialRow r;
  std::vector<fault::WeightFault> faults;
  size_t ri = 0;
  int64_t rk = 0;      // the next trial of runs[ri]
  int64_t expect = 0;  // trials are numbered 0, 1, 2, ... with no gap (readers index arrays by them)
  for (;;) {
    const int64_t next_row = s_row ? s.i64(0) : INT64_MAX;
    const int64_t next_run = ri < runs.size() ? runs[ri].trial + rk : INT64_MAX;
    if (next_row == INT64_MAX && next_run == INT64_MAX) break;
    if (next_row == next_run)
      fail("{}: damaged result store: trial {} is planned both alone and in a run", path_, next_row);
    if (std::min(next_row, next_run) != expect)
      fail("{}: damaged result store: the trials are not numbered in sequence: trial {} follows trial {}", path_,
           std::min(next_row, next_run), expect - 1);
    r = TrialRow{};
    faults.clear();
    if (next_run < next_row && on_run) {
      if (next_row < runs[ri].trial + runs[ri].run)
        fail("{}: damaged result store: trial {} is planned both alone and in a run", path_, next_row);
      expect = runs[ri].trial + runs[ri].run;
      on_run(runs[ri++]);
      continue;
    }
    ++expect;
    if (next_run < next_row) {
      const auto& run = runs[ri];
      r.trial = next_run;
      r.point = run.point;
      r.x = run.x;
      r.rep = run.rep;
      r.n_faults = 1;
      if (with_faults) faults = run_trial(run, rk).faults;
      if (++rk == run.run) {
        ++ri;
        rk = 0;
      }
    } else {
      r.trial = s.i64(0);
      r.point = s.text(1);
      r.x = s.dbl(2);
      r.rep = static_cast<int>(s.i64(3));
      r.n_faults = s.i64(4);
      if (r.trial < 0 || !std::isfinite(r.x) || s.i64(3) < 0 || s.i64(3) > INT32_MAX || r.n_faults < 0)
        fail("{}: damaged result store: trial row {} has a negative or non-finite value", path_, r.trial);
      s_row = s.step();
      if (with_faults) {
        // Fault rows of trials before this one name trials that are not planned.
        if (f_row && f->i64(0) < r.trial)
          fail("{}: damaged result store: a fault names trial {}, which is not planned", path_, f->i64(0));
        while (f_row && f->i64(0) == r.trial) {
          faults.push_back(read_fault(*f, 1, r.trial, path_));
          f_row = f->step();
        }
        if (static_cast<int64_t>(faults.size()) != r.n_faults)
          fail("{}: damaged result store: trial {} should hold {} faults, holds {}", path_, r.trial, r.n_faults,
               faults.size());
      }
    }
    if (with_results) attach_result(r);
    visit(r, faults);
  }
  if (with_faults && f_row)
    fail("{}: damaged result store: a fault names trial {}, which is not planned", path_, f->i64(0));
  if (r_row) fail("{}: damaged result store: a result names trial {}, which is not planned", path_, res->i64(0));
}

std::vector<GoldenRow> Store::golden() const {
  std::vector<GoldenRow> out;
  Stmt s(db_, "SELECT image, label, top1, facts FROM golden ORDER BY image", path_);
  while (s.step()) {
    const GoldenRow g{s.i64(0), s.i64(1), s.i64(2), static_cast<uint8_t>(s.i64(3))};
    if (g.image != static_cast<int64_t>(out.size()) || g.label < 0 || g.top1 < 0 || s.i64(3) < 0 || s.i64(3) > campaign::kAllFacts)
      fail("{}: damaged result store: golden row {} is out of order or out of range", path_, g.image);
    out.push_back(g);
  }
  return out;
}

}  // namespace cnnfi::store
