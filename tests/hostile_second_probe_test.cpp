// The second hostile-input probe (issue 23) as regression tests: forged and renumbered stores,
// runaway formulas and plans, outputs aimed at inputs, duplicates that change an answer. Each
// must end in an error naming what is wrong, with every input left byte-identical.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "onnx/builder.h"
#include "onnx/import.h"
#include "support/support.h"
#include "util/file.h"
#include "util/strings.h"

using namespace cnnfi;
using test::expect_error;

namespace {

std::string models() { return test::source_dir() + "/models/"; }
std::string lenet() { return models() + "lenet5-fmnist.onnx"; }

/// A finished bit sweep of LeNet-5 on 20 images (the probe's store).
std::string sweep_store(const test::TempDir& d, const std::string& name = "sweep") {
  std::ofstream(d.file(name + ".yaml")) << "kind: bit-sweep\nmodel: " << lenet()
                                        << "\nlimit: 20\nbits: 29-31\nrepetitions: 2\nfaults_per_bit: 3\n";
  const auto r = test::run_cnnfi("run " + d.file(name + ".yaml") + " -o " + d.file(name + ".db"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return d.file(name + ".db");
}

/// A finished exhaustive stuck-at store on LeNet-5's last layer, bits 30-31, 10 images.
std::string exhaustive_store(const test::TempDir& d) {
  std::ofstream(d.file("ex.yaml")) << "kind: exhaustive\nmodel: " << lenet()
                                   << "\nlimit: 10\nlayers: [fc3.weight]\nbits: 30-31\nfault_model: sa\n";
  const auto r = test::run_cnnfi("run " + d.file("ex.yaml") + " -o " + d.file("ex.db"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return d.file("ex.db");
}

std::string bytes(const std::string& path) { return read_file(path); }

}  // namespace

TEST(HostileSecond, RenumberedTrialIsRefusedByMergeAndEveryReader) {
  test::TempDir d;
  const auto db = sweep_store(d);
  const std::string moved = d.file("moved.db");
  std::filesystem::copy_file(db, moved);
  for (const char* table : {"trials", "faults", "results"})
    test::sql(moved, std::string("UPDATE ") + table + " SET trial = trial + 1000000 WHERE trial = (SELECT MAX(trial) FROM trials)");
  const std::string before = bytes(moved);
  expect_error("merge " + moved + " -o " + d.file("m.db"), {"moved.db", "not numbered in sequence", "trial 1000005 follows trial 4"});
  EXPECT_FALSE(std::filesystem::exists(d.file("m.db")));
  for (const std::string cmd : {"export " + moved + " --json " + d.file("e.json"), "report " + moved + " -o " + d.file("r.html")})
    expect_error(cmd, {"moved.db", "not numbered in sequence"});
  EXPECT_EQ(bytes(moved), before);
}

TEST(HostileSecond, ForgedRunCountIsRefusedBeforeAnyReaderExpandsIt) {
  test::TempDir d;
  const auto db = exhaustive_store(d);
  test::sql(db, "UPDATE runs SET count = 4000000000000000 WHERE trial = (SELECT MAX(trial) FROM runs)");
  const std::string before = bytes(db);
  for (const std::string cmd : {"merge " + db + " -o " + d.file("m.db"), "export " + db + " --json " + d.file("e.json"),
                                "report " + db + " -o " + d.file("r.html"), "estimate " + db,
                                "harden " + db + " --json " + d.file("h.json")})
    expect_error(cmd, {"ex.db", "count 4000000000000000", "passes the largest tensor"});
  EXPECT_EQ(bytes(db), before);
  for (const char* f : {"m.db", "e.json", "r.html", "h.json"}) EXPECT_FALSE(std::filesystem::exists(d.file(f))) << f;
}

TEST(HostileSecond, FitRefusesFormulasAndDesignsThatWouldNeverFinish) {
  test::TempDir d;
  {
    std::ofstream csv(d.file("wide.csv"));
    csv << "y";
    for (int c = 0; c < 20; ++c) csv << ",c" << c;
    csv << "\n";
    for (int r = 0; r < 30; ++r) {
      csv << r * 0.5;
      for (int c = 0; c < 20; ++c) csv << "," << (r * (c + 3)) % 7;
      csv << "\n";
    }
  }
  std::string product = "y ~ c0", sum = "y ~ (c0";
  for (int c = 1; c < 20; ++c) product += "*c" + std::to_string(c);
  for (int c = 1; c < 16; ++c) sum += "+c" + std::to_string(c);
  sum += ")^10";
  expect_error("fit '" + product + "' --csv " + d.file("wide.csv"), {"expansion reaches", "terms (at most 4096"});
  expect_error("fit '" + sum + "' --csv " + d.file("wide.csv"), {"expansion reaches", "at most 4096"});
  // Two factors of 900 levels each: their interaction alone is 808,201 columns over 3,000 rows.
  {
    std::ofstream csv(d.file("levels.csv"));
    csv << "y,a,b,k\n";
    for (int r = 0; r < 3000; ++r) csv << r % 13 << ",a" << r % 900 << ",b" << (r * 7) % 900 << ",same\n";
  }
  expect_error("fit 'y ~ C(a):C(b)' --csv " + d.file("levels.csv"), {"levels.csv", "term 'C(a):C(b)'", "columns"});
  expect_error("fit 'y ~ a + k' --csv " + d.file("levels.csv"), {"factor 'k' has one level ('same')"});
}

TEST(HostileSecond, FitRefusesTheSameStoreTwiceAndAJsonItCannotWrite) {
  test::TempDir d;
  const auto db = sweep_store(d);
  std::filesystem::create_symlink(db, d.file("alias.db"));
  expect_error("fit 'critical ~ x' " + db + " " + d.file("alias.db"), {"fit:", "same file, given twice"});
  const auto r = test::run_cnnfi("fit 'critical ~ x' " + db + " --json " + d.file("no/such/dir/fit.json"));
  EXPECT_GT(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("fit.json"), std::string::npos) << r.output;
}

TEST(HostileSecond, PlansThatCannotFinishAreRefusedBeforePlanning) {
  test::TempDir d;
  expect_error("train --arch ccdf --data fashion-mnist:train --limit 100 --epochs 1 --fat 1000000000000 -o " +
                   d.file("fat.onnx"),
               {"--fat 1000000000000", "vulnerable bits of one forward pass"});
  EXPECT_FALSE(std::filesystem::exists(d.file("fat.onnx")));
  std::ofstream(d.file("grid.yaml")) << "kind: grid\nmodel: " << models() << "cnv-w1a1-fmnist.onnx\nformat: binary\n"
                                     << "limit: 20\nrepetitions: 1000000\n";
  expect_error("run " + d.file("grid.yaml") + " -o " + d.file("grid.db"), {"grid.yaml", "the plan would hold"});
  EXPECT_FALSE(std::filesystem::exists(d.file("grid.db")));
}

TEST(HostileSecond, NoOutputMayBeAFileTheCommandReads) {
  test::TempDir d;
  // A campaign on a copy of LeNet-5 (with its card), so that the report can aim at that model.
  std::filesystem::copy_file(lenet(), d.file("m.onnx"));
  std::filesystem::copy_file(models() + "lenet5-fmnist.card.json", d.file("m.card.json"));
  std::ofstream(d.file("c.yaml")) << "kind: bit-sweep\nmodel: m.onnx\nlimit: 10\nbits: 31\nrepetitions: 1\nfaults_per_bit: 2\n";
  ASSERT_EQ(test::run_cnnfi("run " + d.file("c.yaml") + " -o " + d.file("c.db")).exit_code, 0);
  const std::string model = bytes(d.file("m.onnx")), card = bytes(d.file("m.card.json")), yaml = bytes(d.file("c.yaml"));
  expect_error("report " + d.file("c.db") + " -o " + d.file("m.onnx"), {"-o", "m.onnx", "refusing to overwrite"});
  expect_error("report " + d.file("c.db") + " -o " + d.file("c.yaml"), {"c.yaml", "refusing to overwrite"});
  expect_error("export " + d.file("c.db") + " --csv " + d.file("m.card.json"), {"m.card.json", "refusing to overwrite"});
  // The same file under another name (a symlink) is the same file.
  std::filesystem::create_symlink(d.file("m.onnx"), d.file("link.onnx"));
  expect_error("report " + d.file("c.db") + " -o " + d.file("link.onnx"), {"refusing to overwrite"});
  // A store is a regular file: /dev/null would get a journal beside it.
  expect_error("run " + d.file("c.yaml") + " -o /dev/null", {"/dev/null", "not a regular file"});
  EXPECT_FALSE(std::filesystem::exists("/dev/null-journal"));
  // Data files and cards are inputs too.
  const std::string x = d.file("x.npy"), y = d.file("y.npy");
  {
    // 4 images of 28 x 28, uint8, and their labels (int64).
    std::string hx = "{'descr': '|u1', 'fortran_order': False, 'shape': (4, 28, 28), }";
    std::string hy = "{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }";
    const auto npy = [](std::string h, const std::string& body) {
      while ((10 + h.size() + 1) % 64) h += ' ';
      h += '\n';
      std::string out = "\x93NUMPY\x01";
      out += '\0';
      out += static_cast<char>(h.size() & 0xff);
      out += static_cast<char>(h.size() >> 8);
      return out + h + body;
    };
    test::write_bytes(x, npy(hx, std::string(4 * 28 * 28, '\x40')));
    std::string labels;
    for (int i = 0; i < 4; ++i) labels += std::string(1, static_cast<char>(i)) + std::string(7, '\0');
    test::write_bytes(y, npy(hy, labels));
  }
  const std::string ybytes = bytes(y);
  std::ofstream(d.file("f.csv")) << "fault_id,param,flat_index,bit\n0,fc3.weight,0,30\n";
  expect_error("inject --model " + d.file("m.onnx") + " --data npy:" + x + "," + y + " --faults " + d.file("f.csv") +
                   " -o " + y,
               {"y.npy", "refusing to overwrite"});
  expect_error("train --arch lenet5 --data npy:" + x + "," + y + " --epochs 1 -o " + x, {"x.npy", "refusing to overwrite"});
  expect_error("quantize --model " + d.file("m.onnx") + " -o " + d.file("m.card.json"), {"m.card.json", "refusing to overwrite"});
  EXPECT_EQ(bytes(d.file("m.onnx")), model);
  EXPECT_EQ(bytes(d.file("m.card.json")), card);
  EXPECT_EQ(bytes(d.file("c.yaml")), yaml);
  EXPECT_EQ(bytes(y), ybytes);
}

TEST(HostileSecond, DuplicatesThatChangeAnAnswerAreErrors) {
  test::TempDir d;
  // The same bit twice in one group: the second flip undoes the first.
  std::ofstream(d.file("twice.csv")) << "fault_id,param,flat_index,bit,model,group\n0,conv1.weight,3,30,flip,7\n"
                                        "1,conv1.weight,3,30,flip,7\n";
  const std::string data = " --data fashion-mnist:test --limit 50";
  expect_error("inject --model " + lenet() + data + " --faults " + d.file("twice.csv") + " -o " + d.file("o.csv"),
               {"twice.csv", "group 7", "faults 0 and 1", "bit 30 of conv1.weight[3]", "--allow-repeat"});
  const auto r = test::run_cnnfi("inject --model " + lenet() + data + " --faults " + d.file("twice.csv") + " -o " +
                                 d.file("o.csv") + " --allow-repeat");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ofstream(d.file("s.yaml")) << "kind: single\nmodel: " << lenet() << "\nlimit: 10\nfaults: twice.csv\n";
  expect_error("run " + d.file("s.yaml") + " -o " + d.file("s.db"), {"twice.csv", "group 7", "allow_repeat"});
  // A key given twice.
  std::ofstream(d.file("dup.yaml")) << "kind: single\nmodel: " << lenet() << "\nlimit: 20\ncount: 2\nlimit: 5\n";
  expect_error("run " + d.file("dup.yaml") + " -o " + d.file("dup.db"), {"dup.yaml", "key 'limit' appears twice"});
  EXPECT_FALSE(std::filesystem::exists(d.file("dup.db")));
  // "-" is not a bit.
  expect_error("faults --model " + lenet() + " --bits - --count 3 --seed 1 -o " + d.file("f.csv"), {"bits: '-'"});
  // A NUL byte: the configuration that runs must be the whole file.
  test::write_bytes(d.file("nul.yaml"), std::string("kind: single\nmodel: ") + lenet() + "\ncount: 2\n" + std::string(1, '\0') +
                                            "limit: 5\n");
  expect_error("run " + d.file("nul.yaml") + " -o " + d.file("nul.db"), {"nul.yaml", "NUL byte at offset"});
}

TEST(HostileSecond, AResumeReadsTheSameFilesFromAnyDirectory) {
  test::TempDir d;
  std::filesystem::create_directories(d.file("sub"));
  std::ofstream(d.file("sub/f.csv")) << "fault_id,param,flat_index,bit\n0,fc3.weight,0,30\n1,fc3.weight,1,30\n";
  std::ofstream(d.file("sub/s.yaml")) << "kind: single\nmodel: " << lenet() << "\nlimit: 10\nfaults: f.csv\n";
  ASSERT_EQ(test::run_cnnfi("run " + d.file("sub/s.yaml") + " -o " + d.file("s.db")).exit_code, 0);
  // The fault list edited in place: a resume would mix two lists in one store.
  std::ofstream(d.file("sub/f.csv")) << "fault_id,param,flat_index,bit\n0,fc3.weight,0,31\n1,fc3.weight,1,30\n";
  expect_error("run " + d.file("sub/s.yaml") + " --resume -o " + d.file("s.db"), {"refusing to resume", "changed"});
}

TEST(HostileSecond, HardenReadsABitSweepOfOneLayer) {
  test::TempDir d;
  std::ofstream(d.file("one.yaml")) << "kind: bit-sweep\nmodel: " << lenet()
                                    << "\nlimit: 20\nlayers: [fc3.weight]\nbits: 29-31\nrepetitions: 2\nfaults_per_bit: 3\n";
  ASSERT_EQ(test::run_cnnfi("run " + d.file("one.yaml") + " -o " + d.file("one.db")).exit_code, 0);
  const auto r = test::run_cnnfi("harden " + d.file("one.db"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("(bit-sweep, 6 trials used)"), std::string::npos) << r.output;  // 3 bits x 2 repetitions
}

TEST(HostileSecond, AConfidenceThatUnderflowsIsRefusedBeforeTheRun) {
  // 1e-320 gave t = 0: the campaign ran, then no reader could open its store.
  test::TempDir d;
  std::ofstream(d.file("c.yaml")) << "kind: sfi\nmodel: " << lenet() << "\nlimit: 5\nmethod: layer\nconfidence: 1e-320\n";
  expect_error("run " + d.file("c.yaml") + " -o " + d.file("c.db"), {"c.yaml", "key 'confidence'", "[0.5, 1)"});
  EXPECT_FALSE(std::filesystem::exists(d.file("c.db")));
  expect_error("plan --model " + lenet() + " --method layer --confidence 1e-320", {"--confidence", "[0.5, 1)"});
}

TEST(HostileSecond, NamesThatWouldBreakAWriterAreRefusedOrEscaped) {
  test::TempDir d;
  // A node name that is not UTF-8: refused at import by position, not in a JSON writer.
  onnx::ModelProto m;
  {
    std::ifstream in(lenet(), std::ios::binary);
    ASSERT_TRUE(m.ParseFromIstream(&in));
  }
  m.mutable_graph()->mutable_node(0)->set_name(std::string("conv\xff\xfe", 6));
  onnx_io::save_model(m, d.file("bad-name.onnx"));
  expect_error("info " + d.file("bad-name.onnx"), {"bad-name.onnx", "the name of node 0", "not valid UTF-8"});
  // A node named like HTML that opens a comment: the report's data must not end its script.
  m.mutable_graph()->mutable_node(0)->set_name("<!--<script>");
  onnx_io::save_model(m, d.file("html-name.onnx"));
  std::filesystem::copy_file(models() + "lenet5-fmnist.card.json", d.file("html-name.card.json"));
  std::ofstream(d.file("c.yaml")) << "kind: bit-sweep\nmodel: html-name.onnx\nlimit: 10\nbits: 31\nrepetitions: 1\n"
                                     "faults_per_bit: 2\n";
  ASSERT_EQ(test::run_cnnfi("run " + d.file("c.yaml") + " -o " + d.file("c.db")).exit_code, 0);
  ASSERT_EQ(test::run_cnnfi("report " + d.file("c.db") + " -o " + d.file("r.html")).exit_code, 0);
  const std::string html = read_file(d.file("r.html"));
  const auto data = html.find("id=\"cnnfi-data\">");
  ASSERT_NE(data, std::string::npos);
  const std::string json = html.substr(data, html.find("</script>", data) - data);
  EXPECT_EQ(json.find("<!--"), std::string::npos);
  EXPECT_NE(json.find("\\u003c!--\\u003cscript>"), std::string::npos);
  // CSV cells with commas and quotes are quoted as RFC 4180 writes them.
  EXPECT_EQ(csv_cell("layer=a,b \"x\""), "\"layer=a,b \"\"x\"\"\"");
  EXPECT_EQ(csv_cell("bit=3"), "bit=3");
}

TEST(HostileSecond, MpiRanksNeverDeleteTheModelOrTheCampaign) {
  if (std::system("command -v mpirun >/dev/null 2>&1") != 0) GTEST_SKIP() << "mpirun is not installed";
  const std::string launch = "mpirun --allow-run-as-root --oversubscribe --mca btl_vader_single_copy_mechanism none -np 2 ";
  if (std::system((launch + "true >/dev/null 2>&1").c_str()) != 0) GTEST_SKIP() << "mpirun cannot start 2 ranks here";
  test::TempDir d;
  std::filesystem::copy_file(lenet(), d.file("m.onnx"));
  std::filesystem::copy_file(models() + "lenet5-fmnist.card.json", d.file("m.card.json"));
  std::ofstream(d.file("c.yaml")) << "kind: single\nmodel: m.onnx\nlimit: 10\ncount: 4\n";
  const std::string model = read_file(d.file("m.onnx")), yaml = read_file(d.file("c.yaml"));
  for (const std::string target : {"m.onnx", "c.yaml"}) {
    const int rc = std::system((launch + test::cnnfi_binary() + " run " + d.file("c.yaml") + " --resume -o " +
                                d.file(target) + " >/dev/null 2>&1").c_str());
    EXPECT_NE(rc, 0) << target;
  }
  EXPECT_EQ(read_file(d.file("m.onnx")), model);
  EXPECT_EQ(read_file(d.file("c.yaml")), yaml);
}
