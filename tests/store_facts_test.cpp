// How a store keeps facts (schema version 2): relative to the golden facts, so that a campaign
// of millions of mostly masked faults stays small; what is read back equals what was written,
// and a damaged encoding is refused.
#include <sqlite3.h>

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
