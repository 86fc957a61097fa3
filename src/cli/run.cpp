// cnnfi run: run a campaign file into its result store, then print the per-point summary.
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <filesystem>

#include <fmt/format.h>

#include "campaign/config.h"
#include "campaign/runner.h"
#include "campaign/summary.h"
#include "campaign/trials_table.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "dist/mpi.h"
#include "store/store.h"
#include "util/error.h"
#include "util/file.h"
#include "util/progress.h"

namespace cnnfi::cli {

namespace {

struct RunOptions {
  std::string campaign, output;
  bool resume = false;
  int threads = 0;
  double budget_hours = 24;
  std::string shard;
  data::PreprocessFlags pre;
};

/// "K/N" with 1 <= K <= N <= 4096 (shards are numbered from 1, as Slurm arrays usually are);
/// returns the 0-based shard index and N.
std::pair<int, int> parse_shard(const std::string& s) {
  const auto slash = s.find('/');
  char* e1 = nullptr;
  char* e2 = nullptr;
  const long k = slash == std::string::npos ? -1 : std::strtol(s.c_str(), &e1, 10);
  const long n = slash == std::string::npos ? -1 : std::strtol(s.c_str() + slash + 1, &e2, 10);
  if (slash == std::string::npos || e1 != s.c_str() + slash || *e2 != '\0' || n < 1 || n > 4096 || k < 1 || k > n)
    fail("--shard '{}': expected K/N with 1 <= K <= N <= 4096 (e.g. 1/4 for the first of four shards)", s);
  return {static_cast<int>(k - 1), static_cast<int>(n)};
}

/// Every file a campaign reads: the campaign file, the model and its card, the data and whatever
/// its kind names (a fault list, calibration data).
std::vector<std::string> campaign_inputs(const std::string& campaign_file, const campaign::CampaignConfig& cfg) {
  auto inputs = cfg.options->inputs();
  inputs.push_back(campaign_file);
  for (const auto& f : model_inputs(cfg.model)) inputs.push_back(f);
  for (const auto& f : data::spec_files(cfg.data)) inputs.push_back(f);
  return inputs;
}

/// Under mpirun: rank K of N runs shard K/N into OUTPUT.rankKofN, then rank 0 merges every rank's
/// store into OUTPUT. An error on one rank stops them all (nobody waits forever at the barrier).
void run_ranks(const RunOptions& o, const dist::World& w) {
  namespace fs = std::filesystem;
  try {
    if (!o.shard.empty()) fail("--shard {}: under mpirun every rank is a shard already; drop --shard", o.shard);
    const std::string output =
        o.output.empty() ? fs::path(o.campaign).replace_extension(".db").string() : o.output;
    refuse_overwrite(output, campaign_inputs(o.campaign, campaign::load_campaign(o.campaign)), "-o");
    require_regular_output(output, "-o");
    if (!o.resume && fs::exists(output))
      fail("{}: exists; pass --resume to continue (each rank resumes its shard) or choose another -o", output);
    const std::string mine = fmt::format("{}.rank{}of{}", output, w.rank, w.size);
    run_one(o.campaign, mine, o.resume, o.budget_hours, w.rank, w.size, o.pre);
    dist::barrier();
    if (w.rank == 0) {
      std::vector<std::string> shards;
      for (int r = 0; r < w.size; ++r) shards.push_back(fmt::format("{}.rank{}of{}", output, r, w.size));
      // Merged beside it, then renamed over it: the previous merged store stays until the new one is whole.
      const std::string merging = output + ".merging";
      for (const char* ext : {"", "-wal", "-shm"}) fs::remove(merging + ext);
      merge_stores(shards, merging);
      for (const char* ext : {"-wal", "-shm"}) fs::remove(output + ext);
      fs::rename(merging, output);
      print_summary(output);
    }
    dist::barrier();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cnnfi: error (rank %d of %d): %s\n", w.rank, w.size, e.what());
    dist::abort_all(1);
  }
  dist::finish();
}

}  // namespace

void print_summary(const std::string& db) {
  store::Store st(db, store::OpenMode::read);
  const auto meta = st.meta();
  if (!meta.strata.empty()) return print_estimates(db, "", "", 0, false);
  std::printf("%s: %s campaign on %s (%s, %lld images), golden top-1 %.4f\n", db.c_str(), meta.kind.c_str(),
              meta.model.c_str(), meta.execution().c_str(), static_cast<long long>(meta.images),
              campaign::golden_top1(st.golden()));
  std::printf("%-34s %5s %8s %8s %8s %8s %8s %9s %8s\n", "point", "reps", "top1", "std", "min", "max", "ci95",
              "critical", "due");
  for (const auto& p : campaign::summarize_points(st))
    std::printf("%-34s %5lld %8.4f %8.4f %8.4f %8.4f %8.4f %9.4f %8.4f\n", p.point.c_str(),
                static_cast<long long>(p.finished), p.top1.mean, p.top1.std, p.top1.min, p.top1.max, p.top1.ci,
                p.critical_rate, p.due_rate);
}

int64_t run_one(const std::string& campaign_file, const std::string& output, bool resume, double budget_hours, int shard,
                int shards, const data::PreprocessFlags& pre) {
  if (!(budget_hours >= 0) || budget_hours > 1e6) fail("--budget {}: hours must be in [0, 1e6] (0 = no limit)", budget_hours);
  auto cfg = campaign::load_campaign(campaign_file);
  cfg.pre_flags = pre;
  campaign::RunOptions ro;
  ro.output = output.empty() ? std::filesystem::path(campaign_file).replace_extension(".db").string() : output;
  refuse_overwrite(ro.output, campaign_inputs(campaign_file, cfg), "-o");
  require_regular_output(ro.output, "-o");
  ro.resume = resume;
  ro.budget_seconds = budget_hours * 3600;
  ro.shard = shard;
  ro.shards = shards;
  std::unique_ptr<Progress> bar;
  ro.progress = [&](int64_t done, int64_t total) {
    if (!bar) bar = std::make_unique<Progress>(cfg.kind, total, "trials");
    bar->set_total(total);
    bar->update(done);
  };
  const auto info = campaign::run_campaign(cfg, ro);
  if (bar) bar->finish();
  std::fprintf(stderr, "%lld trials (%lld evaluated now, %lld resumed) in %.1fs -> %s\n",
               static_cast<long long>(info.trials), static_cast<long long>(info.evaluated),
               static_cast<long long>(info.already_done), info.seconds, ro.output.c_str());
  print_summary(ro.output);
  return info.trials;
}

void setup_run(CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  auto* sub = app.add_subcommand("run", "run a campaign (YAML) into a crash-safe SQLite result store");
  sub->add_option("campaign", o->campaign, "campaign file (see examples/)")->required()->check(CLI::ExistingFile);
  sub->add_option("-o,--output", o->output, "result store (default: the campaign file with .db)");
  sub->add_flag("--resume", o->resume, "continue a campaign whose store already exists");
  sub->add_option("--threads", o->threads, "threads (default: all cores); results do not depend on it");
  sub->add_option("--budget", o->budget_hours,
                  "hours the campaign may take (default 24; 0 = no limit): after its first chunk a campaign "
                  "estimated to take longer stops with the estimate, its finished trials saved");
  sub->add_option("--shard", o->shard,
                  "K/N (1 <= K <= N): run only the trials whose index is K-1 modulo N (every shard plans the whole "
                  "campaign; join the shards' stores with cnnfi merge)");
  add_preprocess_options(*sub, o->pre);
  sub->callback([o] {
    set_threads(o->threads);
    const dist::World world = dist::start();
    if (world.size > 1) return run_ranks(*o, world);
    const auto [k, n] = o->shard.empty() ? std::pair<int, int>{0, 1} : parse_shard(o->shard);
    run_one(o->campaign, o->output, o->resume, o->budget_hours, k, n, o->pre);
  });
}

void setup_export(CLI::App& app) {
  auto db = std::make_shared<std::string>();
  auto csv = std::make_shared<std::string>();
  auto json = std::make_shared<std::string>();
  auto trials = std::make_shared<std::string>();
  auto trials_jsonl = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("export", "export a result store: per-point summary CSV and/or full JSON");
  sub->add_option("store", *db, "result store (.db)")->required()->check(CLI::ExistingFile);
  sub->add_option("--csv", *csv, "write the per-point summary as CSV");
  sub->add_option("--json", *json, "write meta, points and trials as JSON");
  sub->add_option("--trials", *trials,
                  "write one row per trial as CSV, one column per point variable (faults, bit, layer, module, mode, "
                  "domain, ...): pandas.read_csv reads it as it is");
  sub->add_option("--trials-jsonl", *trials_jsonl, "the same rows as JSON lines (pandas.read_json(..., lines=True))");
  sub->callback([db, csv, json, trials, trials_jsonl] {
    const auto inputs = store_inputs({*db});
    refuse_overwrite(*csv, inputs, "--csv");
    refuse_overwrite(*json, inputs, "--json");
    refuse_overwrite(*trials, inputs, "--trials");
    refuse_overwrite(*trials_jsonl, inputs, "--trials-jsonl");
    std::vector<std::string> outs;
    for (const auto* p : {csv.get(), json.get(), trials.get(), trials_jsonl.get()})
      if (!p->empty()) outs.push_back(*p);
    refuse_duplicates(outs, "export outputs (--csv, --json, --trials, --trials-jsonl)");
    store::Store st(*db, store::OpenMode::read);
    if (!csv->empty()) campaign::export_csv(st, *csv);
    if (!json->empty()) campaign::export_json(st, *json);
    if (!trials->empty()) campaign::export_trials(*db, *trials, false);
    if (!trials_jsonl->empty()) campaign::export_trials(*db, *trials_jsonl, true);
    if (csv->empty() && json->empty() && trials->empty() && trials_jsonl->empty()) print_summary(*db);
  });
}

}  // namespace cnnfi::cli
