// Sharded campaigns: cnnfi run --shard K/N on each part, cnnfi merge joins them into a store
// equal to a single run's, trial for trial and image for image.
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "store/store.h"
#include "support/support.h"
#include "util/file.h"

using namespace cnnfi;

TEST(Shard, MergedShardsEqualOneRunTrialForTrial) {
  test::TempDir d;
  std::ofstream(d.file("c.yaml")) << "kind: bit-sweep\nmodel: " << test::source_dir()
                                  << "/models/lenet5-fmnist.onnx\nlimit: 30\nrepetitions: 2\nfaults_per_bit: 2\nbits: 20-31\n";
  auto r = test::run_cnnfi("run " + d.file("c.yaml") + " -o " + d.file("one.db"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (int k = 0; k < 3; ++k) {
    r = test::run_cnnfi("run " + d.file("c.yaml") + " --shard " + std::to_string(k + 1) + "/3 -o " + d.file("s" + std::to_string(k) + ".db"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  // Two of three shards: a partial merge says what is missing and is not complete.
  r = test::run_cnnfi("merge " + d.file("s0.db") + " " + d.file("s1.db") + " -o " + d.file("part.db"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("not every trial is finished"), std::string::npos) << r.output;
  EXPECT_FALSE(store::Store(d.file("part.db"), store::OpenMode::read).meta().complete());
  r = test::run_cnnfi("merge " + d.file("s0.db") + " " + d.file("s1.db") + " " + d.file("s2.db") + " -o " + d.file("all.db"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  store::Store one(d.file("one.db"), store::OpenMode::read), all(d.file("all.db"), store::OpenMode::read);
  EXPECT_TRUE(all.meta().complete());
  EXPECT_EQ(all.meta().config_yaml, one.meta().config_yaml);
  EXPECT_FALSE(all.meta().extra.count("shard"));
  const auto a = one.trials(), b = all.trials();
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.size(), 24u);  // 12 bits x 2 repetitions
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].trial, b[i].trial);
    EXPECT_EQ(a[i].point, b[i].point);
    EXPECT_TRUE(b[i].done);
    EXPECT_EQ(a[i].facts, b[i].facts) << "trial " << a[i].trial;
    EXPECT_EQ(a[i].critical, b[i].critical);
  }
  // Each shard ran only its own trials: shard 2/3 every third from trial 1.
  store::Store s1(d.file("s1.db"), store::OpenMode::read);
  for (const auto& t : s1.trials()) EXPECT_EQ(t.done, t.trial % 3 == 1) << t.trial;
  EXPECT_EQ(s1.meta().extra.at("shard"), "2/3");
}

TEST(Shard, MergeRefusesShardsOfAnotherCampaignAndBadShardSpecs) {
  test::TempDir d;
  const std::string model = test::source_dir() + "/models/lenet5-fmnist.onnx";
  std::ofstream(d.file("a.yaml")) << "kind: single\nmodel: " << model << "\nlimit: 10\ncount: 4\nseed: 1\n";
  std::ofstream(d.file("b.yaml")) << "kind: single\nmodel: " << model << "\nlimit: 10\ncount: 4\nseed: 2\n";
  ASSERT_EQ(test::run_cnnfi("run " + d.file("a.yaml") + " --shard 1/2 -o " + d.file("a0.db")).exit_code, 0);
  ASSERT_EQ(test::run_cnnfi("run " + d.file("b.yaml") + " --shard 2/2 -o " + d.file("b1.db")).exit_code, 0);
  test::expect_error("merge " + d.file("a0.db") + " " + d.file("b1.db") + " -o " + d.file("m.db"),
                     {"b1.db", "not a shard of the same campaign", "differs"});
  test::expect_error("run " + d.file("a.yaml") + " --shard 0/2 -o " + d.file("x.db"), {"--shard '0/2'", "1 <= K <= N"});
  test::expect_error("run " + d.file("a.yaml") + " --shard 3/2 -o " + d.file("x.db"), {"--shard '3/2'"});
  test::expect_error("run " + d.file("a.yaml") + " --shard 1 -o " + d.file("x.db"), {"--shard '1'"});
  // A shard store resumed as another shard is refused.
  test::expect_error("run " + d.file("a.yaml") + " --resume --shard 2/2 -o " + d.file("a0.db"), {"holds shard 1/2"});
}

TEST(Shard, TwoMpiRanksGiveTheStoreOfOneProcess) {
  if (std::system("command -v mpirun >/dev/null 2>&1") != 0) GTEST_SKIP() << "mpirun is not installed (openmpi-bin)";
  // Containers without shared-memory single copy: the vader transport falls back to copies.
  const std::string launch = "mpirun --allow-run-as-root --oversubscribe --mca btl_vader_single_copy_mechanism none -np 2 ";
  if (std::system((launch + "true >/dev/null 2>&1").c_str()) != 0)
    GTEST_SKIP() << "this machine cannot start 2 MPI ranks (mpirun -np 2 true fails)";
  test::TempDir d;
  std::ofstream(d.file("c.yaml")) << "kind: single\nmodel: " << test::source_dir()
                                  << "/models/lenet5-fmnist.onnx\nlimit: 40\ncount: 30\nseed: 3\n";
  auto r = test::run_cnnfi("run " + d.file("c.yaml") + " -o " + d.file("one.db"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string cnnfi = test::cnnfi_binary();
  const std::string mpirun = launch + cnnfi + " run " + d.file("c.yaml");
  ASSERT_EQ(std::system((mpirun + " -o " + d.file("mpi.db") + " >" + d.file("log") + " 2>&1").c_str()), 0)
      << read_file(d.file("log"));
  store::Store one(d.file("one.db"), store::OpenMode::read), mpi(d.file("mpi.db"), store::OpenMode::read);
  EXPECT_TRUE(mpi.meta().complete());
  const auto a = one.trials(), b = mpi.trials();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].facts, b[i].facts) << "trial " << a[i].trial;
  // Each rank ran half: its own store holds its trials only.
  store::Store r1(d.file("mpi.db.rank1of2"), store::OpenMode::read);
  for (const auto& t : r1.trials()) EXPECT_EQ(t.done, t.trial % 2 == 1) << t.trial;
  // Again without --resume: refused on every rank, the merged store untouched.
  EXPECT_NE(std::system((mpirun + " -o " + d.file("mpi.db") + " >" + d.file("log2") + " 2>&1").c_str()), 0);
  EXPECT_NE(read_file(d.file("log2")).find("pass --resume"), std::string::npos) << read_file(d.file("log2"));
  EXPECT_TRUE(store::Store(d.file("mpi.db"), store::OpenMode::read).meta().complete());
}
