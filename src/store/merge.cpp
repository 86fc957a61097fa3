// Joins the stores of the shards of one campaign (cnnfi run --shard K/N) into one store equal to
// a single run's: the same plan and golden rows, every trial's result from the shard that ran it.
// The shards must agree on everything that defines the campaign (kind, config, model, data,
// format, seed, plan); a trial finished in two shards must have the same facts, or the merge
// stops and leaves no store behind. Every row is checked against the plan before it is used.
#include "store/merge.h"

#include <cstdio>
#include <filesystem>

#include <unistd.h>

#include "store/store.h"
#include "util/error.h"
#include "util/strings.h"

namespace cnnfi::store {

namespace {

bool same_entry(const store::TrialPlan& a, const store::TrialPlan& b) {
  if (a.trial != b.trial || a.run != b.run || a.point != b.point || a.rep != b.rep || a.faults.size() != b.faults.size())
    return false;
  for (size_t i = 0; i < a.faults.size(); ++i) {
    const auto &x = a.faults[i], &y = b.faults[i];
    if (x.param != y.param || x.flat_index != y.flat_index || x.bit != y.bit || x.model != y.model || x.burst != y.burst ||
        x.group != y.group || x.image != y.image)
      return false;
  }
  return true;
}

/// FNV-1a of a trial's facts, never 0 (0 marks a trial not merged yet).
uint64_t facts_hash(const std::vector<uint8_t>& facts) {
  uint64_t h = 1469598103934665603ull;
  for (uint8_t b : facts) h = (h ^ b) * 1099511628211ull;
  return h | 1;
}

void remove_store(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
}

}  // namespace

MergeResult merge_stores(const std::vector<std::string>& shards, const std::string& output) {
  if (shards.empty()) fail("merge: name the shard stores");
  if (std::filesystem::exists(output) && std::filesystem::file_size(output) > 0)
    fail("{}: exists; merge writes a new store", output);
  // Every shard is checked against the first before anything is written; the results then
  // stream into the new store, so memory stays bounded by the plan's rows and a few bytes per
  // trial, however many trials there are.
  store::Store first(shards[0], store::OpenMode::read);
  store::Meta meta = first.meta();
  const auto plan = first.plan_entries();
  const int64_t total = store::planned_trials(plan);
  const auto golden = first.golden();
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
    const auto p = st.plan_entries();
    const int64_t n = store::planned_trials(p);
    if (n != total) fail("{}: plans {} trials, {} plans {}", path, n, shards[0], total);
    for (size_t i = 0; i < p.size() && i < plan.size(); ++i)
      if (!same_entry(p[i], plan[i])) fail("{}: trial {} is not the one {} plans", path, p[i].trial, shards[0]);
    if (p.size() != plan.size()) fail("{}: its plan is not stored as {}'s is", path, shards[0]);
    const auto g = st.golden();
    if (g.size() != golden.size()) fail("{}: golden rows differ from {}", path, shards[0]);
    for (size_t i = 0; i < g.size(); ++i)
      if (g[i].label != golden[i].label || g[i].top1 != golden[i].top1 || g[i].facts != golden[i].facts)
        fail("{}: golden row {} differs from {}", path, i, shards[0]);
    seconds += m.run_seconds;
  }
  // Two words of bookkeeping per planned trial: refused, with the number, before allocating.
  const double need = static_cast<double>(total) * (sizeof(uint64_t) + sizeof(uint16_t));
  const double have = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  if (have > 0 && need > have / 2)
    fail("{}: plans {} trials; merging them needs {:.1f} GiB of bookkeeping, more than half of this machine's {:.1f} GiB",
         shards[0], total, need / (1 << 30), have / (1 << 30));
  meta.extra.erase("shard");
  meta.run_seconds = seconds;
  meta.status = "running";
  std::vector<uint64_t> merged(static_cast<size_t>(total), 0);  // facts_hash of each merged trial
  std::vector<uint16_t> from(static_cast<size_t>(total), 0);
  int64_t written = 0;
  try {
    store::Store out(output, store::OpenMode::write);
    out.write_plan(meta, golden, plan);
    std::vector<store::TrialRow> batch;
    for (size_t si = 0; si < shards.size(); ++si) {
      store::Store st(shards[si], store::OpenMode::read);
      st.for_each_trial([&](const store::TrialRow& r, const std::vector<fault::WeightFault>&) {
        if (!r.done) return;
        if (r.trial < 0 || r.trial >= total)
          fail("{}: damaged result store: trial {} lies outside the plan of {} trials", shards[si], r.trial, total);
        const auto t = static_cast<size_t>(r.trial);
        const uint64_t h = facts_hash(r.facts);
        if (merged[t]) {
          if (merged[t] != h)
            fail("{}: trial {} was also run by {} with other results", shards[si], r.trial, shards[from[t]]);
          return;
        }
        merged[t] = h;
        from[t] = static_cast<uint16_t>(std::min<size_t>(si, UINT16_MAX));
        batch.push_back(r);
        if (batch.size() == 4096) {
          out.write_results(batch);
          written += static_cast<int64_t>(batch.size());
          batch.clear();
        }
      });
    }
    out.write_results(batch);
    written += static_cast<int64_t>(batch.size());
    if (written == total) {
      meta.status = "complete";
      meta.finished = now_utc();
      out.write_meta(meta);
    }
  } catch (...) {
    remove_store(output);  // a new store, never half merged
    throw;
  }
  return {written, total};
}

}  // namespace cnnfi::store
