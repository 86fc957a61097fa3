// The HTML report: numbers equal to the store's (recomputed here with SQL, not with the report
// code), rendered in headless Chromium with no console errors, every plot drawn, one graph node
// per ONNX node, size; clear errors for a damaged store and a banner for an unfinished one.
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>

#include "campaign/runner.h"
#include "store/store.h"
#include "report/data.h"
#include "report/html.h"
#include "onnx/builder.h"
#include "onnx/import.h"
#include "support/support.h"
#include "util/error.h"
#include "util/file.h"

using namespace cnnfi;
using nlohmann::json;

namespace {

std::string lenet() { return test::source_dir() + "/models/lenet5-fmnist.onnx"; }

std::string yaml(const test::TempDir& d, const std::string& name, const std::string& body) {
  const std::string path = d.file(name);
  std::ofstream(path) << "model: " << lenet() << "\ndata: fashion-mnist:test\nlimit: 60\nbatch: 60\n" << body;
  return path;
}

void run(const std::string& file, const std::string& db) {
  campaign::RunOptions ro;
  ro.output = db;
  campaign::run_campaign(campaign::load_campaign(file), ro);
}

/// The four plot kinds of seed 000 plus the per-fault kinds, small, on LeNet-5.
std::vector<std::string> make_stores(const test::TempDir& d) {
  std::vector<std::string> dbs;
  const std::vector<std::pair<std::string, std::string>> c = {
      {"inc", "kind: incremental\nschedule: [0, 1, 10]\nrepetitions: 3\n"},
      {"bits", "kind: bit-sweep\nfaults_per_bit: 2\nrepetitions: 2\nbits: 20-31\n"},
      {"layers", "kind: layer-wise\nrate: 0.001\nrepetitions: 2\n"},
      {"sfi", "kind: sfi\nmethod: data-unaware\nerror: 0.2\nlayers: [fc3.weight, conv1.weight]\nbits: 24-31\nfault_model: sa\n"},
  };
  for (const auto& [name, body] : c) {
    dbs.push_back(d.file(name + ".db"));
    run(yaml(d, name + ".yaml", body), dbs.back());
  }
  return dbs;
}

/// Mean top-1 per point straight from SQLite.
std::map<std::string, double> sql_mean_top1(const std::string& db) {
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(h,
                     "SELECT t.point, AVG(1.0 - CAST(r.misclassified AS REAL) / r.images) FROM trials t JOIN results r "
                     "ON r.trial = t.trial GROUP BY t.point",
                     -1, &s, nullptr);
  std::map<std::string, double> out;
  while (sqlite3_step(s) == SQLITE_ROW)
    out[reinterpret_cast<const char*>(sqlite3_column_text(s, 0))] = sqlite3_column_double(s, 1);
  sqlite3_finalize(s);
  sqlite3_close(h);
  return out;
}

/// The text between `open` and the next `close` (std::regex recurses too deep on 1 MB pages).
std::string between(const std::string& text, const std::string& open, const std::string& close) {
  const auto a = text.find(open);
  if (a == std::string::npos) return "";
  const auto b = text.find(close, a + open.size());
  return b == std::string::npos ? "" : text.substr(a + open.size(), b - a - open.size());
}

/// The text of an element as Chromium's --dump-dom serialises it: &, <, > (and quotes) escaped.
std::string unescape_html(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    bool replaced = false;
    for (const auto& [entity, ch] : std::vector<std::pair<std::string, char>>{
             {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}, {"&nbsp;", ' '}, {"&amp;", '&'}})
      if (s.compare(i, entity.size(), entity) == 0) {
        out += ch;
        i += entity.size() - 1;
        replaced = true;
        break;
      }
    if (!replaced) out += s[i];
  }
  return out;
}

/// The report's self-test object from a dumped page.
json selftest(const std::string& dom) {
  return json::parse(unescape_html(between(dom, "<pre id=\"cnnfi-selftest\">", "</pre>")));
}

bool have_chromium() { return std::system("command -v chromium >/dev/null 2>&1") == 0; }

std::string chromium(const std::string& args) {
  const std::string cmd = "timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run "
                          "--disable-background-networking --virtual-time-budget=15000 " + args + " 2>/dev/null";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

}  // namespace

TEST(Report, NumbersEqualTheStore) {
  test::TempDir d;
  const auto dbs = make_stores(d);
  const json data = report::report_data(dbs);
  ASSERT_EQ(data["campaigns"].size(), 4u);
  for (size_t i = 0; i < 3; ++i) {
    const auto sql = sql_mean_top1(dbs[i]);
    const auto& c = data["campaigns"][i];
    ASSERT_EQ(c["points"].size(), sql.size()) << dbs[i];
    for (const auto& p : c["points"])
      EXPECT_NEAR(p["top1"]["mean"].get<double>(), sql.at(p["point"].get<std::string>()), 1e-12) << p["point"];
    EXPECT_TRUE(c["complete"].get<bool>());
  }
  // The embedded data in the page is the same object.
  const std::string html = report::render_html(data);
  const std::string embedded = between(html, "<script type=\"application/json\" id=\"cnnfi-data\">", "</script>");
  ASSERT_FALSE(embedded.empty());
  EXPECT_EQ(json::parse(embedded), data);
  // Findings name the worst layer of the layer-wise campaign.
  double worst = -1;
  std::string worst_layer;
  const double golden = data["campaigns"][2]["golden_top1"];
  for (const auto& [pt, mean] : sql_mean_top1(dbs[2]))
    if (golden - mean > worst) worst = golden - mean, worst_layer = pt.substr(6);
  EXPECT_NE(data["campaigns"][2]["findings"][0].get<std::string>().find(worst_layer), std::string::npos);
}

TEST(Report, RendersInHeadlessChromiumWithEveryPlotAndTheWholeGraph) {
  if (!have_chromium()) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs it)";
  test::TempDir d;
  const auto dbs = make_stores(d);
  std::string args;
  for (const auto& db : dbs) args += " " + db;
  const auto r = test::run_cnnfi("report" + args + " -o " + d.file("r.html"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_LT(std::filesystem::file_size(d.file("r.html")), 5u << 20);
  const std::string dom = chromium("--dump-dom file://" + d.file("r.html"));
  ASSERT_FALSE(between(dom, "<pre id=\"cnnfi-selftest\">", "</pre>").empty()) << dom.substr(0, 2000);
  const json st = selftest(dom);
  EXPECT_TRUE(st["errors"].empty()) << st["errors"].dump();
  for (const char* id : {"accuracy-vs-faults", "bit-position", "layer-wise", "outcomes-by-layer", "outcomes-by-bit",
                         "sfi-layers", "sfi-bits"}) {
    ASSERT_TRUE(st["plots"].contains(id)) << id << " " << st.dump();
    EXPECT_GT(st["plots"][id]["points"].get<int>(), 0) << id;
    EXPECT_GT(st["plots"][id]["marks"].get<int>(), 5) << id;
    EXPECT_GT(st["plots"][id]["rows"].get<int>(), 0) << id;
  }
  onnx::ModelProto proto = onnx_io::parse_model(read_file(lenet()), lenet());
  ASSERT_EQ(st["graphs"].size(), 1u);
  EXPECT_EQ(st["graphs"][0]["nodes"].get<int>(), proto.graph().node_size());
  EXPECT_EQ(st["graphs"][0]["drawn"].get<int>(), proto.graph().node_size());
  EXPECT_GT(st["graphs"][0]["links"].get<int>(), 0);
  // The table of the incremental plot shows the store's numbers.
  EXPECT_NE(dom.find("accuracy-vs-faults-table"), std::string::npos);
  chromium("--hide-scrollbars --window-size=1300,5000 --screenshot=" + d.file("report.png") + " file://" + d.file("r.html"));
  EXPECT_TRUE(std::filesystem::exists(d.file("report.png")));
  if (const char* keep = std::getenv("CNNFI_TEST_ARTIFACTS"))
    std::filesystem::copy_file(d.file("report.png"), std::string(keep) + "/report.png",
                               std::filesystem::copy_options::overwrite_existing);
}

TEST(Report, TheDemoCampaignsRenderWithTheWholeResNetGraph) {
  if (!have_chromium()) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs it)";
  // The demo's own campaign files (examples/demo/), on 100 images instead of 1,000.
  test::TempDir d;
  std::string args;
  for (const char* name : {"incremental-fp32", "incremental-q8", "bit-sweep", "layer-wise"}) {
    auto cfg = campaign::load_campaign(test::source_dir() + "/examples/demo/" + name + ".yaml");
    cfg.limit = 100;
    campaign::RunOptions ro;
    ro.output = d.file(std::string(name) + ".db");
    campaign::run_campaign(cfg, ro);
    args += " " + ro.output;
  }
  const auto r = test::run_cnnfi("report" + args + " -o " + d.file("demo.html"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string dom = chromium("--dump-dom file://" + d.file("demo.html"));
  const json st = selftest(dom);
  EXPECT_TRUE(st["errors"].empty()) << st["errors"].dump();
  for (const char* id : {"accuracy-vs-faults", "bit-position", "layer-wise", "pareto"}) {
    ASSERT_TRUE(st["plots"].contains(id)) << id;
    EXPECT_GT(st["plots"][id]["marks"].get<int>(), 5) << id;
  }
  // Every legend swatch has its line's colour; every band stays in [0, 1].
  for (const auto& [id, p] : st["plots"].items()) EXPECT_TRUE(p["legend_mismatches"].empty()) << id << ": " << p["legend_mismatches"].dump();
  EXPECT_GE(st["plots"]["accuracy-vs-faults"]["legend_checked"].get<int>(), 6);
  ASSERT_TRUE(st.contains("band_min"));
  EXPECT_GE(st["band_min"].get<double>(), 0.0);
  EXPECT_LE(st["band_max"].get<double>(), 1.0);
  const std::string model = test::source_dir() + "/models/resnet20-fmnist.onnx";
  onnx::ModelProto proto = onnx_io::parse_model(read_file(model), model);
  ASSERT_EQ(st["graphs"].size(), 1u);
  EXPECT_EQ(st["graphs"][0]["drawn"].get<int>(), proto.graph().node_size());
  // Laid out without overlaps, and every node reading a layer the layer-wise campaign measured is
  // coloured.
  EXPECT_EQ(st["graphs"][0]["overlaps"].get<int>(), 0);
  std::set<std::string> measured;
  {
    store::Store lw(d.file("layer-wise.db"), store::OpenMode::read);
    for (const auto& t : lw.plan()) measured.insert(t.point.substr(6));
  }
  int reading = 0;
  for (const auto& n : proto.graph().node()) {
    bool reads = false;
    for (const auto& in : n.input()) reads = reads || measured.count(in);
    reading += reads;
  }
  EXPECT_GT(reading, 15);
  EXPECT_EQ(st["graphs"][0]["colored"].get<int>(), reading);
  // The answer comes first: the summary, with the advisor's recommendation from the bit sweep
  // and layer-wise stores, before the first plot.
  const size_t summary = dom.find("id=\"summary\""), first_plot = dom.find("class=\"plot\"");
  ASSERT_NE(summary, std::string::npos);
  EXPECT_EQ(dom.find("<section"), dom.rfind("<section", summary)) << "the summary is not the first section";
  EXPECT_LT(summary, first_plot);
  EXPECT_NE(dom.find("Recommended: ", summary), std::string::npos);
  EXPECT_LT(dom.find("Recommended: ", summary), first_plot);
  EXPECT_LT(first_plot, dom.find("Campaign details"));
  // Printed to PDF: a paginated document.
  const auto pdf = test::run_cnnfi("report" + args + " -o " + d.file("demo2.html") + " --pdf " + d.file("demo.pdf"));
  ASSERT_EQ(pdf.exit_code, 0) << pdf.output;
  const std::string bytes = read_file(d.file("demo.pdf"));
  ASSERT_EQ(bytes.rfind("%PDF", 0), 0u);
  int pages = 0;
  for (size_t at = bytes.find("/Type /Page"); at != std::string::npos; at = bytes.find("/Type /Page", at + 1))
    pages += at + 11 < bytes.size() && bytes[at + 11] != 's';
  EXPECT_GE(pages, 4);
  // Its text, read back by poppler's pdftotext (scripts/setup.sh installs poppler-utils): the
  // summary with the recommendation on page 1, the captions and the campaign details after it.
  if (std::system("pdftotext -v >/dev/null 2>&1") != 0) GTEST_SKIP() << "pdftotext is not installed (scripts/setup.sh installs poppler-utils)";
  ASSERT_EQ(std::system(("pdfinfo " + d.file("demo.pdf") + " > " + d.file("info.txt")).c_str()), 0);
  {
    std::istringstream info(read_file(d.file("info.txt")));
    std::string line;
    int reported = -1;
    while (std::getline(info, line))
      if (line.rfind("Pages:", 0) == 0) reported = std::stoi(line.substr(6));
    EXPECT_EQ(reported, pages) << read_file(d.file("info.txt"));
  }
  ASSERT_EQ(std::system(("pdftotext -f 1 -l 1 " + d.file("demo.pdf") + " " + d.file("p1.txt")).c_str()), 0);
  ASSERT_EQ(std::system(("pdftotext " + d.file("demo.pdf") + " " + d.file("all.txt")).c_str()), 0);
  auto flat = [](std::string t) {  // line and page breaks of the layout become spaces
    for (auto& ch : t) ch = ch == '\n' || ch == '\f' ? ' ' : ch;
    std::string out;
    for (char ch : t) if (!(ch == ' ' && !out.empty() && out.back() == ' ')) out += ch;
    return out;
  };
  const std::string p1 = flat(read_file(d.file("p1.txt"))), all = flat(read_file(d.file("all.txt")));
  // Page 1 opens with the summary: the model line and the most vulnerable layer, as on the page.
  EXPECT_NE(p1.find("Summary"), std::string::npos) << p1.substr(0, 2000);
  EXPECT_LT(p1.find("Summary"), p1.find("Most vulnerable layers")) << p1.substr(0, 2000);
  EXPECT_NE(p1.find("fault-free top-1"), std::string::npos) << p1.substr(0, 2000);
  // The recommendation, worded as the page words it, comes with the summary, before the plots.
  const size_t rec = dom.find("Recommended: ");
  const std::string plan = dom.substr(rec + 13, dom.find(". It adds", rec) - rec - 13);
  const size_t in_pdf = all.find("Recommended: " + plan);
  EXPECT_NE(in_pdf, std::string::npos) << plan << "\n" << all.substr(0, 4000);
  EXPECT_LT(in_pdf, all.find("Accuracy vs number of faults"));
  for (const char* part : {"Accuracy vs number of faults", "Campaign details", "Campaign config as run"})
    EXPECT_NE(all.find(part), std::string::npos) << part;
  chromium("--hide-scrollbars --window-size=1300,6000 --screenshot=" + d.file("demo.png") + " file://" + d.file("demo.html"));
  EXPECT_TRUE(std::filesystem::exists(d.file("demo.png")));
  if (const char* keep = std::getenv("CNNFI_TEST_ARTIFACTS"))
    std::filesystem::copy_file(d.file("demo.png"), std::string(keep) + "/demo-report.png",
                               std::filesystem::copy_options::overwrite_existing);
}

TEST(Report, DamagedOrUnfinishedStoresGiveClearMessages) {
  test::TempDir d;
  test::write_bytes(d.file("junk.db"), std::string(4096, 'x'));
  auto r = test::run_cnnfi("report " + d.file("junk.db") + " -o " + d.file("x.html"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("junk.db"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("damaged"), std::string::npos) << r.output;
  r = test::run_cnnfi("report " + d.file("missing.db") + " -o " + d.file("x.html"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("no such result store"), std::string::npos) << r.output;
  // An unfinished campaign: drop the last results, as if it were still running.
  const std::string db = d.file("inc.db");
  run(yaml(d, "inc.yaml", "kind: incremental\nschedule: [0, 1, 10]\nrepetitions: 3\n"), db);
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  sqlite3_exec(h, "DELETE FROM results WHERE trial >= 5; UPDATE meta SET value = 'running' WHERE key = 'status';", nullptr, nullptr, nullptr);
  sqlite3_close(h);
  r = test::run_cnnfi("report " + db + " -o " + d.file("u.html"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("not finished (5 of 9 trials)"), std::string::npos) << r.output;
  const json data = report::report_data({db});
  EXPECT_FALSE(data["campaigns"][0]["complete"].get<bool>());
  EXPECT_NE(read_file(d.file("u.html")).find("cnnfi-data"), std::string::npos);
}

TEST(Report, NamesFromModelsStoresAndConfigsCannotRunScripts) {
  if (!have_chromium()) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs it)";
  // Every name a report shows carries a payload that would mark the page if it ever ran.
  const std::string pay = "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">";
  test::TempDir d;
  onnx_io::ModelBuilder b("payload" + pay);
  b.input("input", {-1, 1, 28, 28});
  const auto w = b.initializer("conv" + pay + ".weight", at::randn({2, 1, 5, 5}, at::TensorOptions().dtype(at::kFloat)) * 0.3);
  const auto c = b.node("Conv", "conv" + pay, {"input", w}, {onnx_io::Attr::Ints("strides", {4, 4})});
  const auto f = b.node("Flatten", "flatten" + pay, {c});
  const auto fw = b.initializer("fc" + pay + ".weight", at::randn({10, 72}) * 0.1);
  b.node("Gemm", "fc" + pay, {f, fw}, {onnx_io::Attr::Int("transB", 1)}, "logits");
  b.output("logits", {-1, 10});
  const std::string model = d.file("payload.onnx");
  onnx_io::save_model(b.finish(), model);
  std::vector<std::string> dbs;
  for (const std::string kind : {"layer-wise", "single"}) {
    const std::string yaml = d.file(kind + ".yaml");
    std::string quoted;  // a YAML single-quoted scalar: quotes doubled
    for (char ch : pay) quoted += ch == '\'' ? std::string("''") : std::string(1, ch);
    std::ofstream(yaml) << "kind: " << kind << "\nmodel: " << model << "\nlimit: 20\nname: '" << quoted << "'\n"
                        << (kind == "single" ? "count: 20\n" : "repetitions: 2\nrate: 0.05\n");
    dbs.push_back(d.file(kind + pay + ".db"));
    run(yaml, dbs.back());
  }
  std::ofstream(d.file("r.html")) << report::render_html(report::report_data(dbs));
  const std::string dom = chromium("--dump-dom 'file://" + d.file("r.html") + "#tooltips'");
  const json st = selftest(dom);
  EXPECT_TRUE(st["errors"].empty()) << st["errors"].dump();
  ASSERT_GT(st["tooltips"].size(), 10u);
  int shown = 0;
  for (const auto& t : st["tooltips"]) {
    const std::string html = t;
    EXPECT_EQ(html.find("<img"), std::string::npos) << html;
    shown += html.find("&lt;img src=x") != std::string::npos;
  }
  EXPECT_GT(shown, 0) << "no tooltip showed a payload name at all: " << st["tooltips"].dump().substr(0, 3000);
  EXPECT_EQ(dom.find("data-pwned=\"1\""), std::string::npos);
  EXPECT_NE(dom.find("&lt;img src=x onerror="), std::string::npos);  // names are shown, as text
}
