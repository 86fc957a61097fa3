// cnnfi report: one self-contained HTML page from one or several result stores (side by side).
#include <cstdio>
#include <fstream>

#include "cli/commands.h"
#include "report/data.h"
#include "report/html.h"
#include "util/error.h"
#include "util/file.h"

namespace cnnfi::cli {

void write_report(const std::vector<std::string>& stores, const std::string& output) {
  refuse_overwrite(output, stores, "-o");
  const auto data = report::report_data(stores);
  for (const auto& c : data["campaigns"])
    if (!c["complete"].get<bool>())
      std::fprintf(stderr, "cnnfi report: %s: the campaign is not finished (%lld of %lld trials); the report shows the finished ones\n",
                   c["store"].get<std::string>().c_str(), static_cast<long long>(c["finished"].get<int64_t>()),
                   static_cast<long long>(c["planned"].get<int64_t>()));
  const std::string html = report::render_html(data);
  std::ofstream out(output, std::ios::binary);
  if (!out) fail("{}: cannot write the report", output);
  out << html;
  if (!out) fail("{}: write failed", output);
}

void setup_report(CLI::App& app) {
  auto stores = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>("report.html");
  auto* sub = app.add_subcommand("report", "self-contained HTML report of one or several result stores");
  sub->add_option("stores", *stores, "result stores (.db); several are shown side by side")->required();
  sub->add_option("-o,--output", *output, "the HTML file (default report.html)");
  sub->callback([stores, output] {
    write_report(*stores, *output);
    std::printf("%s\n", output->c_str());
  });
}

}  // namespace cnnfi::cli
