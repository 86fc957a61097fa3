// cnnfi fit: ordinary least squares from a model formula over the trials of result stores (one
// row per trial, campaign/trials_table.h) or a CSV file, printed as R's summary.lm prints it and
// optionally written as JSON (stats/ols.h: coding, method, statistics).
#include <cmath>
#include <cstdio>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "campaign/trials_table.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "stats/formula.h"
#include "stats/ols.h"
#include "util/error.h"
#include "util/file.h"
#include "util/strings.h"

namespace cnnfi::cli {

namespace {

std::string stars(double p) { return !(p == p) ? "" : p < 0.01 ? "**" : p < 0.05 ? "*" : ""; }

}  // namespace

void print_fit(const stats::FitResult& r) {
  std::printf("%s   (ordinary least squares, n = %lld)\n", r.formula.c_str(), static_cast<long long>(r.n));
  for (const auto& [f, levels] : r.factors)
    std::printf("  factor %s: reference %s; levels %s\n", f.c_str(), levels.front().c_str(), join(levels, ", ").c_str());
  size_t w = 12;
  for (const auto& c : r.terms) w = std::max(w, c.term.size());
  std::printf("\n  %-*s %15s %13s %10s %11s\n", static_cast<int>(w), "term", "estimate", "std. error", "t value", "Pr(>|t|)");
  for (const auto& c : r.terms)
    std::printf("  %-*s %15.6g %13.4g %10.4g %11.3g %s\n", static_cast<int>(w), c.term.c_str(), c.estimate, c.std_error, c.t, c.p,
                stars(c.p).c_str());
  std::printf("  (** p < 0.01, * p < 0.05, as the seed's tables mark them)\n\n");
  std::printf("residual standard error %.6g on %lld degrees of freedom\n", r.sigma, static_cast<long long>(r.df_residual));
  std::printf("R-squared %.6f, adjusted R-squared %.6f\n", r.r2, r.adj_r2);
  std::printf("F %.6g on %lld and %lld degrees of freedom, p %.3g\n", r.f, static_cast<long long>(r.f_df1),
              static_cast<long long>(r.df_residual), r.f_p);
}

namespace {

struct FitOptions {
  std::string formula, csv, json;
  std::vector<std::string> stores, where;
};

/// Keeps the rows where every `column=value` of `where` holds.
stats::Table filter(const stats::Table& t, const std::vector<std::string>& where) {
  std::vector<std::pair<size_t, std::string>> conds;
  for (const auto& w : where) {
    const auto eq = w.find('=');
    if (eq == std::string::npos || eq == 0) fail("--where '{}': expected column=value", w);
    conds.emplace_back(t.index(w.substr(0, eq)), w.substr(eq + 1));
  }
  stats::Table out;
  out.source = t.source + (where.empty() ? "" : " where " + join(where, ", "));
  out.names = t.names;
  out.columns.assign(t.columns.size(), {});
  for (int64_t r = 0; r < t.rows(); ++r) {
    bool keep = true;
    for (const auto& [c, v] : conds) keep = keep && t.columns[c][static_cast<size_t>(r)] == v;
    if (keep)
      for (size_t c = 0; c < t.columns.size(); ++c) out.columns[c].push_back(t.columns[c][static_cast<size_t>(r)]);
  }
  if (out.rows() == 0) fail("{}: no row left", out.source);
  return out;
}

void run_fit(const FitOptions& o) {
  if (o.stores.size() == 1 && o.csv.empty() && o.stores[0].size() > 4 &&
      o.stores[0].compare(o.stores[0].size() - 4, 4, ".csv") == 0)
    fail("fit: {} looks like a CSV file; give it with --csv", o.stores[0]);
  if (o.csv.empty() == o.stores.empty()) fail("fit: give either --csv FILE or result stores, not both");
  refuse_duplicates(o.stores, "fit");  // its trials would count twice: standard errors too small
  std::vector<std::string> inputs = o.stores;
  if (!o.csv.empty()) inputs.push_back(o.csv);
  auto read = store_inputs(o.stores);
  read.insert(read.end(), inputs.begin(), inputs.end());
  refuse_overwrite(o.json, read, "--json");
  const auto f = stats::parse_formula(o.formula);
  const stats::Table t = filter(o.csv.empty() ? campaign::trials_table(o.stores) : stats::read_csv(o.csv), o.where);
  const auto r = stats::fit(f, t);
  print_fit(r);
  if (!o.json.empty()) {
    auto j = stats::to_json(r);
    j["inputs"] = inputs;
    write_file_atomic(o.json, j.dump(2) + "\n");  // an unwritable path is an error, not exit 0
  }
}

}  // namespace

void print_fit_of(const std::vector<std::string>& stores, const std::string& formula) {
  print_fit(stats::fit(stats::parse_formula(formula), campaign::trials_table(stores)));
}

void setup_fit(CLI::App& app) {
  auto o = std::make_shared<FitOptions>();
  auto* sub = app.add_subcommand("fit", "least-squares regression with interactions over stores' trials or a CSV");
  sub->add_option("formula", o->formula, "model formula, e.g. 'accuracy ~ bits*mode*faults' (R syntax: + * : ^ I() C())")
      ->required();
  sub->add_option("stores", o->stores, "result stores: one row per finished trial (columns: docs/fit.md)");
  sub->add_option("--csv", o->csv, "a CSV file with a header row instead of stores");
  sub->add_option("--json", o->json, "also write the fit as JSON (n, r2, adj_r2, f, f_p, terms)");
  sub->add_option("--where", o->where, "only the rows where column=value (repeatable), e.g. --where target=network");
  sub->callback([o] { run_fit(*o); });
}

}  // namespace cnnfi::cli
