// Every bad input of issue 9 (a hostile or careless user) as a regression test: each now gets a
// clear error that names the file, key, row or node at fault (or, for sizes that would never
// finish, a refusal with an estimate), and commands that only read leave their input untouched.
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "onnx/builder.h"
#include "onnx/import.h"
#include "support/support.h"
#include "util/file.h"

using namespace cnnfi;
using test::expect_error;

namespace {

std::string lenet() { return test::source_dir() + "/models/lenet5-fmnist.onnx"; }

/// A one-Conv (or one-MaxPool) model whose node carries `attrs`.
std::string write_spatial(const test::TempDir& d, const std::string& op, const std::vector<onnx_io::Attr>& attrs) {
  onnx_io::ModelBuilder b("hostile");
  b.input("x", {-1, 1, 8, 8});
  std::vector<std::string> in = {"x"};
  if (op == "Conv") in.push_back(b.initializer("w", at::ones({2, 1, 3, 3})));
  b.node(op, "spatial", in, attrs, "y");
  b.output("y", {-1, op == "Conv" ? 2 : 1, 3, 3});
  auto m = b.finish();
  const std::string path = d.file(op + ".onnx");
  onnx_io::save_model(m, path);
  return path;
}

std::string campaign(const test::TempDir& d, const std::string& body, const std::string& name = "c.yaml") {
  const std::string path = d.file(name);
  std::ofstream(path) << "model: " << lenet() << "\nlimit: 20\nbatch: 10\n" << body;
  return path;
}

/// A finished exhaustive stuck-at store on LeNet-5's last layer, bits 30-31, 10 images.
std::string exhaustive_store(const test::TempDir& d) {
  const std::string c = d.file("ex.yaml");
  std::ofstream(c) << "kind: exhaustive\nmodel: " << lenet()
                   << "\nlimit: 10\nlayers: [fc3.weight]\nbits: 30-31\nfault_model: sa\nnonfinite: torch\n";
  const auto r = test::run_cnnfi("run " + c + " -o " + d.file("ex.db"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return d.file("ex.db");
}

}  // namespace

TEST(Hostile, ZeroStridesAndGroupsNameTheNodeInsteadOfCrashingShapeInference) {
  test::TempDir d;
  const auto conv = write_spatial(d, "Conv", {onnx_io::Attr::Ints("strides", {0, 0})});
  for (const std::string cmd : {"info " + conv, "plan --model " + conv + " --method layer",
                                "eval --model " + conv + " --data fashion-mnist:test --limit 4"})
    expect_error(cmd, {"Conv.onnx", "node 'spatial' (op Conv", "'strides' = 0", "[1, "});
  const auto pool = write_spatial(d, "MaxPool", {onnx_io::Attr::Ints("kernel_shape", {2, 2}), onnx_io::Attr::Ints("strides", {0, 1})});
  expect_error("info " + pool, {"MaxPool.onnx", "'strides' = 0"});
  const auto group = write_spatial(d, "Conv", {onnx_io::Attr::Int("group", 0)});
  expect_error("info " + group, {"'group' = 0"});
}

TEST(Hostile, ValidateChecksForgedFaultRowsAgainstThePopulation) {
  // The exhaustive plan is two runs (store.h: TrialPlan::run) of 1,680 stuck-at trials each: bit
  // 30 from trial 0, bit 31 from trial 1680. Forged runs are refused naming the run.
  test::TempDir d;
  const auto db = exhaustive_store(d);
  EXPECT_EQ(test::sql_rows(db, "SELECT trial, count, bit, models FROM runs ORDER BY trial"),
            (std::vector<std::string>{"0|1680|30|sa0,sa1", "1680|1680|31|sa0,sa1"}));
  const auto forged = [&](const std::string& name, const std::string& sql) {
    std::filesystem::copy_file(db, d.file(name));
    test::sql(d.file(name), sql);
    return d.file(name);
  };
  expect_error("validate " + forged("bit.db", "UPDATE runs SET bit = 40 WHERE trial = 1680") + " --samples 1",
               {"bit.db", "trial 1680", "bit 40", "outside the population"});
  expect_error("validate " + forged("index.db", "UPDATE runs SET flat_index = 99999 WHERE trial = 1680") + " --samples 1",
               {"index.db", "trial 1680", "index 99999", "fc3.weight"});
  expect_error("report " + forged("neg.db", "UPDATE runs SET flat_index = -7 WHERE trial = 1680") + " -o " + d.file("n.html"),
               {"neg.db", "damaged result store", "trials from 1680", "out of range"});
  expect_error("estimate " + forged("overlap.db", "UPDATE runs SET trial = 1000 WHERE trial = 1680"),
               {"overlap.db", "damaged result store", "trials from 1000", "overlaps"});
  expect_error("estimate " + forged("model.db", "UPDATE runs SET models = 'sa0,zap' WHERE trial = 0"),
               {"model.db", "damaged result store", "trials from 0", "zap"});
  expect_error("estimate " + forged("nomodel.db", "UPDATE runs SET models = 'sa0,' WHERE trial = 0"),
               {"nomodel.db", "damaged result store", "trials from 0", "empty fault model"});
  expect_error("estimate " + forged("xtext.db", "UPDATE runs SET x = 'abc' WHERE trial = 1680"),
               {"xtext.db", "damaged result store", "trials from 1680", "wrong type"});
  expect_error("estimate " + forged("bitreal.db", "UPDATE runs SET bit = 1e300 WHERE trial = 1680"),
               {"bitreal.db", "damaged result store", "not an integer"});
  expect_error("estimate " + forged("twice.db", "INSERT INTO trials VALUES(5, 'x', 0, 0, 0)"),
               {"twice.db", "trial 5 is planned both alone and in a run"});
  expect_error("export " + forged("orphan.db", "INSERT INTO results SELECT 99999, skipped, images, masked, tolerable, "
                                               "critical, due, misclassified, top5_miss, facts FROM results WHERE trial = 0") +
                   " --json " + d.file("o.json"),
               {"orphan.db", "a result names trial 99999, which is not planned"});
  expect_error("report " + forged("meta.db", "UPDATE meta SET value = 'abc' WHERE key = 'images'") + " -o " + d.file("r.html"),
               {"meta.db", "metadata 'images' is 'abc'"});
  expect_error("export " + forged("facts.db", "UPDATE results SET facts = x'0102' WHERE trial = 1") + " --json " + d.file("e.json"),
               {"facts.db", "trial 1", "does not fit"});
}

TEST(Hostile, FaultListIntegersAreRangeCheckedNotCastOrClamped) {
  test::TempDir d;
  const std::string model = lenet();
  auto replay = [&](const std::string& row) {
    test::write_bytes(d.file("f.csv"), "fault_id,param,flat_index,bit\n" + row + "\n");
    return "inject --model " + model + " --data fashion-mnist:test --limit 4 --faults " + d.file("f.csv") + " -o " +
           d.file("o.csv");
  };
  expect_error(replay("0,fc3.weight,1,4294967297"), {"f.csv:2", "'bit'", "4294967297", "[0, 63]"});
  expect_error(replay("0,fc3.weight,99999999999999999999999,3"), {"f.csv:2", "'flat_index'", "out of range"});
  expect_error(replay("0,fc3.weight,-4,3"), {"f.csv:2", "'flat_index'", "-4"});
  expect_error(replay("0,fc3.weight,1,40"), {"bit 40", "fp32"});  // in range for the CSV, not for the format
}

TEST(Hostile, CampaignValuesOutsideTheirRangeAreRefusedWithTheKey) {
  test::TempDir d;
  auto run = [&](const std::string& body) { return "run " + campaign(d, body) + " -o " + d.file("x.db"); };
  expect_error(run("kind: layer-wise\nrate: .inf\nrepetitions: 1\n"), {"c.yaml", "key 'rate'", "'.inf' is not a finite number", "(0, 1]"});
  expect_error(run("kind: layer-wise\nrate: 1e9\nrepetitions: 1\n"), {"key 'rate'", "1e9"});
  expect_error(run("kind: incremental\nschedule: [-1]\n"), {"key 'schedule'", "-1", "out of range"});
  expect_error(run("kind: incremental\nrepetitions: 1000000000\n"), {"key 'repetitions'", "1000000000"});
  expect_error(run("kind: single\ncount: 1000000000000\n"), {"key 'count'", "1000000000000"});
  expect_error(run("kind: single\ncount: 3000000\n"), {"count 3000000", "holds only 1974592 bits"});
  expect_error(run("kind: incremental\nper_class: abc\n"), {"c.yaml", "key 'per_class'", "'abc'"});
  expect_error(run("kind: incremental\npreprocessing: {mean: x}\n"), {"c.yaml", "preprocessing.mean", "'x'"});
  expect_error(run("kind: bit-sweep\nschedule: [1]\n"), {"key 'schedule' is not read by kind 'bit-sweep'", "incremental"});
  expect_error(run("kind: incremental\nmethod: layer\n"), {"key 'method'", "sfi"});
  expect_error(run("kind: incremental\nseed: -1\n"), {"key 'seed'", "'-1'"});
  expect_error(run("kind: incremental\nrepetitions: 1\n") + " --threads 100000", {"--threads 100000", "cores"});
}

TEST(Hostile, LabelsOutsideTheModelAreRefusedByCampaignsAsByEval) {
  test::TempDir d;
  const std::string img = std::string("\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x1c\x00\x00\x00\x1c", 16) +
                          std::string(2 * 784, '\0');
  test::write_bytes(d.file("img"), img);
  test::write_bytes(d.file("lab"), std::string("\x00\x00\x08\x01\x00\x00\x00\x02\x03\xc8", 10));  // labels 3, 200
  const std::string body = "kind: incremental\nrepetitions: 1\nschedule: [1]\ndata: idx:" + d.file("img") + "," + d.file("lab") + "\n";
  expect_error("run " + campaign(d, body) + " -o " + d.file("x.db"), {"label 200 of image 1", "10 classes"});
}

TEST(Hostile, ActivationFaultOnAnImageBeyondTheDataIsRefused) {
  test::TempDir d;
  const auto graph = onnx_io::load_model(lenet());
  const std::string act = graph->values[graph->nodes[0].outputs[0]].name;
  test::write_bytes(d.file("f.csv"), "fault_id,param,flat_index,bit,model,group,image\n0," + act + ",3,30,flip,,25\n");
  expect_error("run " + campaign(d, "kind: single\nfaults: " + d.file("f.csv") + "\n") + " -o " + d.file("x.db"),
               {"fault 0", "image 25", "beyond the 20 evaluated images"});
}

TEST(Hostile, FloatNpyImagesMustBeScaledToZeroOne) {
  test::TempDir d;
  auto npy = [](const std::string& descr, const std::string& shape, const std::string& data) {
    std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + shape + "), }";
    while ((10 + header.size() + 1) % 64) header += ' ';
    header += '\n';
    std::string out("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>(header.size() >> 8);
    return out + header + data;
  };
  std::string pixels(4 * 28 * 28, '\0');
  const float big = 255000.0f;
  std::memcpy(pixels.data() + 4 * 100, &big, 4);
  test::write_bytes(d.file("x.npy"), npy("<f4", "1, 28, 28", pixels));
  test::write_bytes(d.file("y.npy"), npy("<i8", "1,", std::string(8, '\0')));
  expect_error("eval --model " + lenet() + " --data npy:" + d.file("x.npy") + "," + d.file("y.npy"),
               {"x.npy", "image 0", "255000", "[0, 1]"});
}

TEST(Hostile, CommandsRefuseToOverwriteTheirInput) {
  test::TempDir d;
  const auto db = exhaustive_store(d);
  const std::string before = read_file(db);
  expect_error("report " + db + " -o " + db, {"-o " + db, "refusing to overwrite"});
  expect_error("export " + db + " --json " + db, {"--json", "refusing to overwrite"});
  expect_error("validate " + db + " --json " + db, {"--json", "refusing to overwrite"});
  expect_error("validate " + db + " --samples 0", {"--samples 0", "at least 1"});
  EXPECT_EQ(read_file(db), before);
  expect_error("faults --model " + lenet() + " --count 3 --seed 1 -o " + lenet(), {"refusing to overwrite"});
}

TEST(Hostile, ReadersLeaveAForeignOrEmptySqliteFileByteIdentical) {
  test::TempDir d;
  const std::string foreign = d.file("other.db"), empty = d.file("empty.db");
  test::sql(foreign, "CREATE TABLE accounts(id INTEGER PRIMARY KEY, owner TEXT); INSERT INTO accounts VALUES(1, 'x');");
  test::write_bytes(empty, "");
  for (const auto& f : {foreign, empty}) {
    const std::string before = read_file(f);
    const auto listing = [&] {
      std::vector<std::string> names;
      for (const auto& e : std::filesystem::directory_iterator(d.path())) names.push_back(e.path().filename());
      std::sort(names.begin(), names.end());
      return names;
    };
    const auto files = listing();
    expect_error("report " + f + " -o " + d.file("r.html"), {f, "not a cnnfi result store"});
    expect_error("export " + f + " --csv " + d.file("e.csv"), {f, "not a cnnfi result store"});
    expect_error("estimate " + f, {f, "not a cnnfi result store"});
    expect_error("validate " + f, {f, "not a cnnfi result store"});
    EXPECT_EQ(read_file(f), before) << f;
    EXPECT_EQ(listing(), files) << "no -wal/-shm or output files appear";
  }
  // A writer refuses another program's database instead of adding tables to it.
  const std::string before = read_file(foreign);
  expect_error("run " + campaign(d, "kind: incremental\nrepetitions: 1\nschedule: [1]\n") + " -o " + foreign,
               {foreign, "not a cnnfi result store", "refusing to write"});
  EXPECT_EQ(read_file(foreign), before);
}

TEST(Hostile, ACampaignBeyondItsTimeBudgetStopsWithTheEstimateAndResumes) {
  test::TempDir d;
  const auto c = campaign(d, "kind: bit-sweep\nfaults_per_bit: 1\nrepetitions: 1\nlayers: [fc3.weight]\n");
  expect_error("run " + c + " -o " + d.file("b.db") + " --budget 0.000001",
               {"b.db", "remaining trials would take about", "budget", "--resume"});
  // The budget was judged on trials spread over the plan (32 bits, a chunk of 16: every other
  // one), not on its first chunk of bits.
  std::vector<std::string> spread;
  for (int t = 0; t < 32; t += 2) spread.push_back(std::to_string(t));
  EXPECT_EQ(test::sql_rows(d.file("b.db"), "select trial from results order by trial"), spread);
  const auto r = test::run_cnnfi("run " + c + " -o " + d.file("b.db") + " --resume --budget 0");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("16 resumed"), std::string::npos) << r.output;  // the first chunk was kept
}
