// How a store keeps facts (schema version 2) and plans (3: runs): relative to the golden facts, so that a campaign
// of millions of mostly masked faults stays small; what is read back equals what was written,
// and a damaged encoding is refused.
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "campaign/outcome.h"
#include "store/store.h"
#include "support/support.h"

using namespace cnnfi;

namespace {

store::TrialRow row(int64_t trial, const std::vector<uint8_t>& facts) {
  store::TrialRow r;
  r.trial = trial;
  const auto c = campaign::count(facts, campaign::NonFinitePolicy::due);  // the store checks them
  r.images = c.images;
  r.masked = c.masked, r.tolerable = c.tolerable, r.critical = c.critical, r.due = c.due;
  r.misclassified = c.misclassified, r.top5_miss = c.top5_miss;
  r.facts = facts;
  return r;
}

}  // namespace

TEST(StoreFacts, GoldenSparseAndDenseFactsReadBackExactly) {
  test::TempDir d;
  const std::string db = d.file("s.db");
  const int64_t images = 300;
  std::vector<store::GoldenRow> golden;
  for (int64_t i = 0; i < images; ++i) golden.push_back({i, i % 10, i % 10, static_cast<uint8_t>(i % 3 ? 24 : 16)});
  std::vector<store::TrialPlan> plan(4);
  for (int64_t t = 0; t < 4; ++t) plan[static_cast<size_t>(t)].trial = t;
  std::vector<uint8_t> g;
  for (const auto& r : golden) g.push_back(r.facts);
  auto sparse = g, far = g, dense = g;
  sparse[0] = 7, sparse[1] = 255, sparse[299] = 3;
  far[200] = 1;  // a gap of 200 needs two LEB128 bytes
  for (int64_t i = 0; i < images; i += 2) dense[static_cast<size_t>(i)] = 1;
  {
    store::Store st(db, store::OpenMode::write);
    store::Meta m;
    m.kind = "single";
    m.t = 2.58;
    m.nonfinite = "due";
    m.images = images;
    st.write_plan(m, golden, plan);
    st.write_results({row(0, g), row(1, sparse), row(2, far), row(3, dense)});
  }
  store::Store st(db, store::OpenMode::read);
  const auto rows = st.trials();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].facts, g);
  EXPECT_EQ(rows[1].facts, sparse);
  EXPECT_EQ(rows[2].facts, far);
  EXPECT_EQ(rows[3].facts, dense);
  // What is on disk: nothing for the golden trial, 2 + 2 + 3 bytes for three changed images, one
  // byte per image where half of them changed.
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(h, "SELECT trial, length(facts) FROM results ORDER BY trial", -1, &s, nullptr), SQLITE_OK);
  std::vector<int64_t> sizes;
  while (sqlite3_step(s) == SQLITE_ROW) sizes.push_back(sqlite3_column_int64(s, 1));
  sqlite3_finalize(s);
  sqlite3_close(h);
  EXPECT_EQ(sizes, (std::vector<int64_t>{0, 7, 3, images}));
}

TEST(StoreFacts, ADamagedSparseEncodingIsRefused) {
  test::TempDir d;
  const std::string db = d.file("s.db");
  std::vector<store::GoldenRow> golden;
  for (int64_t i = 0; i < 50; ++i) golden.push_back({i, 1, 1, 24});
  std::vector<store::TrialPlan> plan(1);
  {
    store::Store st(db, store::OpenMode::write);
    store::Meta m;
    m.kind = "single";
    m.t = 2.58;
    m.nonfinite = "due";
    m.images = 50;
    st.write_plan(m, golden, plan);
    auto f = std::vector<uint8_t>(50, 24);
    f[3] = 1;
    st.write_results({row(0, f)});
  }
  // Image index 60 of 50 (gap 60), then a varint without its fact byte.
  test::sql(db, "UPDATE results SET facts = x'3C01' WHERE trial = 0");
  EXPECT_NE(test::error_of([&] { store::Store(db, store::OpenMode::read).trials(); }).find("damaged result store"),
            std::string::npos);
  test::sql(db, "UPDATE results SET facts = x'0201FF' WHERE trial = 0");
  EXPECT_NE(test::error_of([&] { store::Store(db, store::OpenMode::read).trials(); }).find("damaged result store"),
            std::string::npos);
}

// Runs (schema version 3): one stored row for many one-fault trials defined by their index.
TEST(StoreRuns, RunsExpandByIndexBetweenTrialsOfTheirOwn) {
  test::TempDir d;
  const std::string db = d.file("r.db");
  std::vector<store::GoldenRow> golden;
  for (int64_t i = 0; i < 5; ++i) golden.push_back({i, i, i, 24});
  const auto fault = [](int64_t id, const char* param, int64_t index, int bit, fault::FaultModel m) {
    fault::WeightFault f;
    f.id = id, f.param = param, f.flat_index = index, f.bit = bit, f.model = m;
    return f;
  };
  using fault::FaultModel;
  std::vector<store::TrialPlan> plan(4);
  plan[0].trial = 0, plan[0].point = "alone";
  plan[0].faults = {fault(1, "a", 3, 2, FaultModel::flip), fault(2, "a", 4, 2, FaultModel::flip)};
  plan[1].trial = 1, plan[1].point = "pairs", plan[1].x = 7, plan[1].run = 5;  // trials 1-5
  plan[1].faults = {fault(100, "w", 10, 7, FaultModel::stuck_at_0), fault(101, "w", 10, 7, FaultModel::stuck_at_1)};
  plan[2].trial = 6, plan[2].point = "alone", plan[2].faults = {fault(3, "a", 0, 0, FaultModel::flip)};
  plan[3].trial = 7, plan[3].point = "flips", plan[3].x = 31, plan[3].rep = 2, plan[3].run = 3;  // trials 7-9
  plan[3].faults = {fault(200, "v", 0, 31, FaultModel::flip)};
  EXPECT_EQ(store::planned_trials(plan), 10);
  std::vector<uint8_t> g(5, 24), hit = g;
  hit[3] = 8;
  {
    store::Store st(db, store::OpenMode::write);
    store::Meta m;
    m.kind = "exhaustive";
    m.t = 2.58;
    m.nonfinite = "due";
    m.images = 5;
    st.write_plan(m, golden, plan);
    st.write_results({row(2, hit), row(6, g), row(8, hit)});
    // A run's faults must differ in their model only.
    auto bad = plan[1];
    bad.trial = 10;
    bad.faults[1].bit = 6;
    EXPECT_NE(test::error_of([&] { st.append_plan({bad}, 2); }).find("differ in more than their model"), std::string::npos);
  }
  EXPECT_EQ(test::sql_rows(db, "SELECT COUNT(*) FROM trials"), std::vector<std::string>{"2"});
  EXPECT_EQ(test::sql_rows(db, "SELECT COUNT(*) FROM faults"), std::vector<std::string>{"3"});
  store::Store st(db, store::OpenMode::read);
  const auto entries = st.plan_entries();
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[1].run, 5);
  EXPECT_EQ(entries[3].run, 3);
  const auto all = st.plan();
  ASSERT_EQ(all.size(), 10u);
  // Trial 1 + k of the pairs run: weight 10 + k / 2, sa0 on even k, sa1 on odd, id 100 + k.
  for (int64_t k = 0; k < 5; ++k) {
    const auto& t = all[static_cast<size_t>(1 + k)];
    EXPECT_EQ(t.trial, 1 + k);
    EXPECT_EQ(t.point, "pairs");
    EXPECT_EQ(t.x, 7);
    ASSERT_EQ(t.faults.size(), 1u);
    EXPECT_EQ(t.faults[0].param, "w");
    EXPECT_EQ(t.faults[0].flat_index, 10 + k / 2);
    EXPECT_EQ(t.faults[0].bit, 7);
    EXPECT_EQ(t.faults[0].model, k % 2 ? FaultModel::stuck_at_1 : FaultModel::stuck_at_0);
    EXPECT_EQ(t.faults[0].id, 100 + k);
  }
  EXPECT_EQ(all[6].faults.size(), 1u);
  EXPECT_EQ(all[6].faults[0].id, 3);
  EXPECT_EQ(all[9].faults[0].flat_index, 2);
  EXPECT_EQ(all[9].faults[0].id, 202);
  EXPECT_EQ(all[9].rep, 2);
  EXPECT_EQ(all[0].faults.size(), 2u);
  const auto rows = st.trials();
  ASSERT_EQ(rows.size(), 10u);
  for (const auto& r : rows) {
    EXPECT_EQ(r.done, r.trial == 2 || r.trial == 6 || r.trial == 8) << r.trial;
    if (r.trial == 2 || r.trial == 8) EXPECT_EQ(r.facts, hit);
  }
  const auto mask = st.finished_mask(10);
  EXPECT_EQ(std::count(mask.begin(), mask.end(), true), 3);
  EXPECT_TRUE(mask[8]);
  EXPECT_NE(test::error_of([&] { st.finished_mask(5); }).find("trial 6, which is not planned"), std::string::npos);
}
