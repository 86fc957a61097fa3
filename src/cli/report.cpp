// cnnfi report: one self-contained HTML page from one or several result stores (side by side).
#include <cstdio>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "campaign/trials_table.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "stats/formula.h"
#include "stats/ols.h"
#include "report/data.h"
#include "report/html.h"
#include "util/error.h"
#include "util/file.h"

namespace cnnfi::cli {

void write_report(const std::vector<std::string>& stores, const std::string& output,
                  const std::vector<std::string>& fits) {
  refuse_overwrite(output, store_inputs(stores), "-o");
  // Formulas first: a bad one fails before the stores are read.
  std::vector<stats::Formula> formulas;
  for (const auto& f : fits) formulas.push_back(stats::parse_formula(f));
  auto data = report::report_data(stores);
  if (!formulas.empty()) {
    const auto table = campaign::trials_table(stores);
    data["fits"] = nlohmann::json::array();
    for (const auto& f : formulas) {
      auto j = stats::to_json(stats::fit(f, table));
      j["inputs"] = stores;
      data["fits"].push_back(j);
    }
  }
  for (const auto& c : data["campaigns"])
    if (!c["complete"].get<bool>())
      std::fprintf(stderr, "cnnfi report: %s: the campaign is not finished (%lld of %lld trials); the report shows the finished ones\n",
                   c["store"].get<std::string>().c_str(), static_cast<long long>(c["finished"].get<int64_t>()),
                   static_cast<long long>(c["planned"].get<int64_t>()));
  const std::string html = report::render_html(data);
  write_file_atomic(output, html);  // a failed write leaves no half report (nor an old one half replaced)
}

namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

/// Prints the report to PDF with headless Chromium (CNNFI_CHROMIUM or `chromium` on the PATH),
/// every collapsed section open (#print).
void write_pdf(const std::string& html, const std::string& pdf) {
  const char* env = std::getenv("CNNFI_CHROMIUM");
  const std::string chromium = env && *env ? env : "chromium";
  // The path percent-encoded (RFC 3986): '#', '%', '?' and spaces in a folder name are path
  // characters, not a fragment, an escape or a query.
  std::string encoded;
  for (unsigned char c : std::filesystem::absolute(html).string()) {
    if (std::isalnum(c) || std::strchr("/-._~", c)) encoded += static_cast<char>(c);
    else encoded += fmt::format("%{:02X}", c);
  }
  const std::string url = "file://" + encoded + "#print";
  std::error_code ec;
  std::filesystem::remove(pdf, ec);
  const std::string cmd = shell_quote(chromium) +
                          " --headless=new --no-sandbox --disable-gpu --hide-scrollbars --virtual-time-budget=10000"
                          " --no-pdf-header-footer --print-to-pdf=" + shell_quote(pdf) + " " + shell_quote(url) +
                          " >/dev/null 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream in(pdf, std::ios::binary);
  char magic[5] = {};
  in.read(magic, 4);
  if (rc != 0 || !in || std::string(magic) != "%PDF")
    fail("--pdf {}: {} could not print the report (exit {}); the HTML report is at {}", pdf, chromium, rc, html);
}

}  // namespace

void setup_report(CLI::App& app) {
  auto stores = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>("report.html");
  auto pdf = std::make_shared<std::string>();
  auto fits = std::make_shared<std::vector<std::string>>();
  auto* sub = app.add_subcommand("report", "self-contained HTML report of one or several result stores");
  sub->add_option("stores", *stores, "result stores (.db); several are shown side by side")->required();
  sub->add_option("-o,--output", *output, "the HTML file (default report.html)");
  sub->add_option("--pdf", *pdf, "also print it to this PDF (headless Chromium; every section open)");
  sub->add_option("--fit", *fits, "a regression model over the stores' trials, e.g. 'accuracy ~ modules*faults' "
                                  "(repeatable; see cnnfi fit)");
  sub->callback([stores, output, pdf, fits] {
    if (!pdf->empty()) {
      std::vector<std::string> inputs = store_inputs(*stores);
      inputs.push_back(*output);
      refuse_overwrite(*pdf, inputs, "--pdf");
    }
    write_report(*stores, *output, *fits);
    std::printf("%s\n", output->c_str());
    if (!pdf->empty()) {
      write_pdf(*output, *pdf);
      std::printf("%s\n", pdf->c_str());
    }
  });
}

}  // namespace cnnfi::cli
