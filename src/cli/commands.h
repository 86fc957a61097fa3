// One file per subcommand: cli/<name>.cpp defines setup_<name>, which adds the subcommand and
// its options to the app and sets its callback.
#pragma once
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "data/preprocess.h"

namespace cnnfi::cli {

void setup_eval(CLI::App& app);
void setup_train(CLI::App& app);
void setup_demo(CLI::App& app);
void setup_info(CLI::App& app);
void setup_faults(CLI::App& app);
void setup_inject(CLI::App& app);
void setup_run(CLI::App& app);
void setup_export(CLI::App& app);
void setup_plan(CLI::App& app);
void setup_estimate(CLI::App& app);
void setup_validate(CLI::App& app);
void setup_report(CLI::App& app);
void setup_tolerance(CLI::App& app);
void setup_quantize(CLI::App& app);
void setup_convert(CLI::App& app);
void setup_keys(CLI::App& app);
void setup_harden(CLI::App& app);
void setup_merge(CLI::App& app);
void setup_fit(CLI::App& app);

/// Writes the HTML report of `stores` to `output` (used by report and demo).
void write_report(const std::vector<std::string>& stores, const std::string& output,
                  const std::vector<std::string>& fits = {});

/// Runs one campaign file (used by run and demo); returns the number of trials.
/// `pre`: preprocessing flags over the campaign's own.
int64_t run_one(const std::string& campaign_file, const std::string& output, bool resume, double budget_hours = 24,
                int shard = 0, int shards = 1, const data::PreprocessFlags& pre = {});
void print_summary(const std::string& db);
/// Joins the stores of a campaign's shards into `output` (a new store); see cli/merge.cpp.
void merge_stores(const std::vector<std::string>& shards, const std::string& output);
/// Faults per inference each quantized store's model tolerates at `loss`, and the ratio to the first.
void print_tolerance(const std::vector<std::string>& stores, double loss, const std::string& json = "");
/// The hardening advice from weight-fault stores, or from quantized stores (module advice); with
/// `verify` (a campaign file), the recommended
/// protection is run against the same faults unprotected and protected into `out`.
void print_harden(const std::vector<std::string>& stores, const std::string& verify, const std::string& out,
                  const std::string& json = "");
/// `cnnfi fit FORMULA STORES` printed (used by demo).
void print_fit_of(const std::vector<std::string>& stores, const std::string& formula);
/// Estimates of an exhaustive/sfi store (empty criticality/nonfinite, t <= 0: as run).
void print_estimates(const std::string& db, const std::string& criticality, const std::string& nonfinite, double t,
                     bool strata);

}  // namespace cnnfi::cli
