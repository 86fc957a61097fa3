// Sharded campaigns: cnnfi run --shard K/N on each part, cnnfi merge joins them into a store
// equal to a single run's, trial for trial and image for image.
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "store/store.h"
#include "support/support.h"
#include "util/file.h"

using namespace cnnfi;

namespace {

/// The mpirun prefix that starts 2 ranks here, or "" when mpirun is missing or cannot (containers
/// without shared-memory single copy: the vader transport falls back to copies).
std::string mpi_launch() {
  if (std::system("command -v mpirun >/dev/null 2>&1") != 0) return "";
  const std::string launch = "mpirun --allow-run-as-root --oversubscribe --mca btl_vader_single_copy_mechanism none -np 2 ";
  return std::system((launch + "true >/dev/null 2>&1").c_str()) == 0 ? launch : "";
}

std::string read_file_or_empty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

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

TEST(Shard, ShardsOfAnExhaustiveCampaignMergeIntoItsRunsAndResults) {
  // An exhaustive plan is stored as runs (one per layer and bit); each shard plans the same runs,
  // runs every second trial of them, and the merge keeps the runs compact.
  test::TempDir d;
  std::ofstream(d.file("c.yaml")) << "kind: exhaustive\nmodel: " << test::source_dir()
                                  << "/models/lenet5-fmnist.onnx\nlimit: 8\nlayers: [fc3.weight]\nbits: 29-31\n"
                                     "fault_model: sa\nnonfinite: torch\n";
  auto r = test::run_cnnfi("run " + d.file("c.yaml") + " -o " + d.file("one.db"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (int k = 1; k <= 2; ++k) {
    r = test::run_cnnfi("run " + d.file("c.yaml") + " --shard " + std::to_string(k) + "/2 -o " + d.file("s" + std::to_string(k) + ".db"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  r = test::run_cnnfi("merge " + d.file("s1.db") + " " + d.file("s2.db") + " -o " + d.file("all.db"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("5040 of 5040 trials"), std::string::npos) << r.output;  // 840 weights x 3 bits x 2
  const std::string runs = "SELECT trial, count, param, flat_index, bit, models FROM runs ORDER BY trial";
  EXPECT_EQ(test::sql_rows(d.file("all.db"), runs), test::sql_rows(d.file("one.db"), runs));
  EXPECT_EQ(test::sql_rows(d.file("all.db"), runs).size(), 3u);
  EXPECT_EQ(test::sql_rows(d.file("all.db"), "SELECT COUNT(*) FROM faults"), std::vector<std::string>{"0"});
  store::Store one(d.file("one.db"), store::OpenMode::read), all(d.file("all.db"), store::OpenMode::read);
  EXPECT_TRUE(all.meta().complete());
  const auto a = one.trials(), b = all.trials();
  ASSERT_EQ(a.size(), 5040u);
  ASSERT_EQ(b.size(), a.size());
  int64_t critical = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_TRUE(b[i].done) << b[i].trial;
    EXPECT_EQ(a[i].point, b[i].point);
    EXPECT_EQ(a[i].facts, b[i].facts) << "trial " << a[i].trial;
    critical += b[i].critical;
  }
  EXPECT_GT(critical, 0);  // the high bits of fc3 flip predictions: the comparison is not of all-golden rows
  // The same trial finished with other facts in a second store stops the merge, and no store is left.
  std::filesystem::copy_file(d.file("s2.db"), d.file("forged.db"));
  test::sql(d.file("forged.db"), "UPDATE results SET facts = x'00', critical = critical WHERE trial = 1");
  r = test::run_cnnfi("merge " + d.file("s1.db") + " " + d.file("s2.db") + " " + d.file("forged.db") + " -o " + d.file("bad.db"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(d.file("bad.db"))) << r.output;
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
  const std::string launch = mpi_launch();
  if (launch.empty()) GTEST_SKIP() << "this machine cannot start 2 MPI ranks (no mpirun, or mpirun -np 2 true fails)";
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

namespace {

/// The pid of the `cnnfi run` process that is MPI rank `rank` of a job running `yaml`, or 0.
int rank_pid(const std::string& yaml, int rank) {
  namespace fs = std::filesystem;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmd = read_file_or_empty(e.path().string() + "/cmdline");
    for (auto& c : cmd) c = c == '\0' ? ' ' : c;
    if (cmd.rfind(test::cnnfi_binary() + " run " + yaml, 0) != 0) continue;
    const std::string env = read_file_or_empty(e.path().string() + "/environ");
    if (env.find(std::string("OMPI_COMM_WORLD_RANK=") + std::to_string(rank) + '\0') != std::string::npos)
      return std::stoi(name);
  }
  return 0;
}

}  // namespace

TEST(Shard, AKilledRankResumesAndLosesNothing) {
  const std::string launch = mpi_launch();
  if (launch.empty()) GTEST_SKIP() << "this machine cannot start 2 MPI ranks (no mpirun, or mpirun -np 2 true fails)";
  test::TempDir d;
  const std::string yaml = d.file("c.yaml");
  std::ofstream(yaml) << "kind: single\nmodel: " << test::source_dir()
                      << "/models/lenet5-fmnist.onnx\nlimit: 200\ncount: 2400\nseed: 5\n";
  auto r = test::run_cnnfi("run " + yaml + " --threads 2 -o " + d.file("one.db"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string job = launch + test::cnnfi_binary() + " run " + yaml + " --threads 1 -o " + d.file("mpi.db");
  FILE* p = popen((job + " 2>&1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  // Once rank 1 has committed some trials and not all, kill -9 it (mpirun then stops rank 0).
  std::set<int64_t> before;
  const std::string rank1 = d.file("mpi.db.rank1of2");
  for (int i = 0; i < 3000 && before.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    try {
      if (std::filesystem::exists(rank1)) before = store::Store(rank1, store::OpenMode::read).finished_trials();
    } catch (const std::exception&) {
      // not planned yet
    }
  }
  ASSERT_FALSE(before.empty()) << "rank 1 finished no trial within a minute";
  const int pid = rank_pid(yaml, 1);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  EXPECT_NE(pclose(p), 0) << out;
  EXPECT_FALSE(std::filesystem::exists(d.file("mpi.db"))) << "no merged store after a killed rank";
  before = store::Store(rank1, store::OpenMode::read).finished_trials();
  ASSERT_LT(before.size(), 1200u) << "rank 1 finished before it was killed; the test needs a longer campaign";
  // Resume: every finished trial is kept, the rest is evaluated, the merged store equals one process.
  ASSERT_EQ(std::system((job + " --resume >" + d.file("log") + " 2>&1").c_str()), 0) << read_file(d.file("log"));
  EXPECT_NE(read_file(d.file("log")).find(", " + std::to_string(before.size()) + " resumed"), std::string::npos)
      << "rank 1 should resume the " << before.size() << " trials it had finished:\n" << read_file(d.file("log"));
  store::Store one(d.file("one.db"), store::OpenMode::read), mpi(d.file("mpi.db"), store::OpenMode::read);
  EXPECT_TRUE(mpi.meta().complete());
  const auto a = one.trials(), b = mpi.trials();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_TRUE(b[i].done) << "trial " << b[i].trial;
    EXPECT_EQ(a[i].facts, b[i].facts) << "trial " << a[i].trial;
  }
}
