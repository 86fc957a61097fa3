// cnnfi merge: joins the stores of the shards of one campaign (cnnfi run --shard K/N) into one
// store equal to a single run's: the same plan and golden rows, every trial's result from the
// shard that ran it. The shards must agree on everything that defines the campaign (kind, config,
// model, data, format, seed, plan); a trial finished in two shards must have the same facts.
#include <cstdio>
#include <filesystem>
#include <map>

#include "cli/commands.h"
#include "store/store.h"
#include "util/error.h"
#include "util/file.h"
#include "util/strings.h"

namespace cnnfi::cli {

namespace {

bool same_faults(const store::TrialPlan& a, const store::TrialPlan& b) {
  if (a.point != b.point || a.rep != b.rep || a.faults.size() != b.faults.size()) return false;
  for (size_t i = 0; i < a.faults.size(); ++i) {
    const auto &x = a.faults[i], &y = b.faults[i];
    if (x.param != y.param || x.flat_index != y.flat_index || x.bit != y.bit || x.model != y.model || x.burst != y.burst ||
        x.group != y.group || x.image != y.image)
      return false;
  }
  return true;
}

}  // namespace

void merge_stores(const std::vector<std::string>& shards, const std::string& output) {
  if (shards.empty()) fail("merge: name the shard stores");
  refuse_overwrite(output, shards, "-o");
  if (std::filesystem::exists(output) && std::filesystem::file_size(output) > 0)
    fail("{}: exists; merge writes a new store", output);
  store::Store first(shards[0], store::OpenMode::read);
  store::Meta meta = first.meta();
  const auto plan = first.plan();
  const auto golden = first.golden();
  std::map<int64_t, store::TrialRow> rows;
  std::map<int64_t, std::string> from;
  double seconds = 0;
  for (const auto& path : shards) {
    store::Store st(path, store::OpenMode::read);
    const auto m = st.meta();
    const char* what = m.kind != meta.kind                     ? "kind"
                       : m.config_yaml != meta.config_yaml     ? "campaign config"
                       : m.model_sha256 != meta.model_sha256   ? "model"
                       : m.data_sha256 != meta.data_sha256     ? "data"
                       : m.format != meta.format               ? "number format"
                       : m.seed != meta.seed                   ? "seed"
                       : m.nonfinite != meta.nonfinite         ? "non-finite policy"
                                                               : nullptr;
    if (what) fail("{}: not a shard of the same campaign as {}: the {} differs", path, shards[0], what);
    const auto p = st.plan();
    if (p.size() != plan.size()) fail("{}: plans {} trials, {} plans {}", path, p.size(), shards[0], plan.size());
    for (size_t i = 0; i < p.size(); ++i)
      if (p[i].trial != plan[i].trial || !same_faults(p[i], plan[i]))
        fail("{}: trial {} is not the one {} plans", path, p[i].trial, shards[0]);
    const auto g = st.golden();
    if (g.size() != golden.size()) fail("{}: golden rows differ from {}", path, shards[0]);
    for (size_t i = 0; i < g.size(); ++i)
      if (g[i].label != golden[i].label || g[i].top1 != golden[i].top1 || g[i].facts != golden[i].facts)
        fail("{}: golden row {} differs from {}", path, i, shards[0]);
    for (auto& r : st.trials()) {
      if (!r.done) continue;
      const auto it = rows.find(r.trial);
      if (it != rows.end()) {
        if (it->second.facts != r.facts)
          fail("{}: trial {} was also run by {} with other results", path, r.trial, from[r.trial]);
        continue;
      }
      from[r.trial] = path;
      rows.emplace(r.trial, std::move(r));
    }
    seconds += m.run_seconds;
  }
  meta.extra.erase("shard");
  meta.run_seconds = seconds;
  const bool complete = rows.size() == plan.size();
  meta.status = "running";
  store::Store out(output, store::OpenMode::write);
  out.write_plan(meta, golden, plan);
  std::vector<store::TrialRow> all;
  for (auto& [t, r] : rows) all.push_back(std::move(r));
  out.write_results(all);
  if (complete) {
    meta.status = "complete";
    meta.finished = now_utc();
    out.write_meta(meta);
  }
  std::printf("%s: %zu of %zu trials from %zu shard store(s)%s\n", output.c_str(), all.size(), plan.size(), shards.size(),
              complete ? "" : " (not every trial is finished: run the missing shards, then merge again)");
}

void setup_merge(CLI::App& app) {
  auto shards = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("merge", "join the stores of a campaign's shards (cnnfi run --shard K/N) into one");
  sub->add_option("shards", *shards, "the shard stores")->required();
  sub->add_option("-o,--output", *output, "the merged store (new)")->required();
  sub->callback([shards, output] { merge_stores(*shards, *output); });
}

}  // namespace cnnfi::cli
