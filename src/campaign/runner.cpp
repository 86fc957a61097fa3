#include "campaign/runner.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "campaign/evaluator.h"
#include "campaign/kind.h"
#include "data/card.h"
#include "data/spec.h"
#include "onnx/import.h"
#include "quant/qdq_import.h"
#include "repr/format.h"
#include "stats/sample_size.h"
#include "store/store.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/sha256.h"

namespace cnnfi::campaign {

namespace {

/// SHA-256 of the images and labels the campaign evaluates (after selection, before
/// preprocessing: raw [0,1] floats), streamed in chunks.
std::string data_sha256(data::Source& src) {
  Sha256 h;
  const auto s = src.shape();
  const int64_t chunk = 512;
  std::vector<float> px;
  std::vector<int64_t> lab;
  for (int64_t i = 0; i < src.size(); i += chunk) {
    const int64_t n = std::min(chunk, src.size() - i);
    px.resize(static_cast<size_t>(n * s.pixels()));
    lab.resize(static_cast<size_t>(n));
    src.read(i, n, px.data(), lab.data());
    h.update(px.data(), px.size() * sizeof(float));
    h.update(lab.data(), lab.size() * sizeof(int64_t));
  }
  return h.hex();
}

/// Refuses a store that would not fit in the free space of its file system.
void check_disk(const std::string& output, int64_t trials, int64_t faults, int64_t images) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto dir = fs::absolute(output, ec).parent_path();
  const auto space = fs::space(dir, ec);
  if (ec) return;
  // Per trial: its row and its per-image facts (one byte each) and result counts; per fault: its row.
  const double need = static_cast<double>(trials) * (static_cast<double>(images) + 120.0) + static_cast<double>(faults) * 80.0;
  if (need > static_cast<double>(space.available))
    fail("{}: the store would need about {:.1f} GiB ({} trials x {} images, {} faults); {} has {:.1f} GiB free", output,
         need / (1 << 30), trials, images, faults, dir.string(), static_cast<double>(space.available) / (1 << 30));
}

}  // namespace

CampaignData open_campaign_data(const CampaignConfig& c) {
  CampaignData d;
  d.resolved = data::resolve_preprocess(c.model, c.pre_flags, c.preprocessing, "key 'preprocessing' of " + c.file);
  d.pre = d.resolved.pre;
  data::DataSelection sel;
  sel.limit = c.limit;
  sel.per_class = c.per_class;
  d.source = data::open_spec(c.data, sel, d.pre.resize_h, d.pre.resize_w);
  return d;
}

store::TrialRow finished_row(int64_t trial, std::vector<uint8_t> facts, bool skipped, NonFinitePolicy policy) {
  const auto cnt = count(facts, policy);
  store::TrialRow row;
  row.trial = trial;
  row.done = true;
  row.skipped = skipped;
  row.images = cnt.images;
  row.masked = cnt.masked;
  row.tolerable = cnt.tolerable;
  row.critical = cnt.critical;
  row.due = cnt.due;
  row.misclassified = cnt.misclassified;
  row.top5_miss = cnt.top5_miss;
  row.facts = std::move(facts);
  return row;
}

RunInfo run_campaign(const CampaignConfig& given, const RunOptions& opts) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto& kind = find_kind(given.kind);
  // Kind quantized runs the integer execution: a QDQ model is read with its own scales and integers.
  exec::Executor exec(given.kind == "quantized" ? quant::load_for_integer(given.model) : onnx_io::load_model(given.model));
  CampaignConfig c = given;
  if (c.kind != "quantized") {
    c.format = fault::resolve_format(given.format, exec.graph());
    if (given.format.empty() && c.format != "fp32")
      c.defaults.push_back(fmt::format("format {} (the model's own weight storage)", c.format));
  } else if (c.format.empty()) {
    c.format = "fp32";
  }
  const auto& format = repr::find_format(c.format);
  fault::WeightInjector injector(exec, format);
  if (c.layout.packed()) injector.set_layout(c.layout);
  auto [pre, source, resolved_pre] = open_campaign_data(c);
  data::announce(resolved_pre, c.model);

  store::Meta meta;
  if (c.layout.packed()) meta.extra["layout"] = c.layout.describe();
  meta.kind = c.kind;
  meta.config_yaml = c.yaml;
  meta.config_file = c.file;
  meta.seed = c.seed;
  meta.cnnfi_version = CNNFI_VERSION;
  meta.model = c.model;
  meta.model_sha256 = sha256_file(c.model);
  meta.data = source->describe();
  meta.data_sha256 = data_sha256(*source);
  meta.images = source->size();
  meta.format = c.format;
  meta.nonfinite = to_string(c.nonfinite);
  meta.preprocessing = pre.to_json().dump();
  meta.extra["preprocessing_source"] = resolved_pre.describe();
  {
    // Every other file the campaign reads (a fault list, calibration data), by content: a resume
    // that would read other bytes under the same name is refused.
    nlohmann::json files = nlohmann::json::object();
    for (const auto& f : c.options->inputs()) {
      std::error_code ec;
      if (!f.empty() && std::filesystem::is_regular_file(f, ec)) files[f] = sha256_file(f);
    }
    if (!files.empty()) meta.extra["inputs_sha256"] = files.dump();
  }
  meta.criticality = c.options->criticality().name();
  meta.t = c.options->t();
  const auto defaults = c.all_defaults();
  if (!defaults.empty()) {
    std::string all;
    for (const auto& d : defaults) all += (all.empty() ? "" : "; ") + d;
    std::fprintf(stderr, "%s: defaults for keys left out: %s\n", c.file.c_str(), all.c_str());
    meta.extra["defaults"] = all;
  }

  std::error_code ec;
  const bool existed = std::filesystem::exists(opts.output, ec);
  campaign::EvaluatorOptions eo;
  eo.batch = c.batch;
  eo.prove = !c.exact;
  std::unique_ptr<TrialEvaluator> evaluator =
      c.options->make_evaluator(EvaluatorContext{c, exec, *source, pre, c.batch, &meta});
  const bool protect = std::any_of(c.protection.begin(), c.protection.end(), [](const auto& p) { return p.any(); });
  if (evaluator && protect && !evaluator->applies_protection())
    fail("{}: key 'protection' guards weight memory for the fault-list kinds; kind '{}' injects otherwise", c.file,
         c.kind);
  if (protect && !evaluator) {
    // Resolved against the model (unknown layers or bits are errors here); recorded with the
    // memory it costs, for the report and `cnnfi harden`.
    int64_t overhead = 0;
    try {
      overhead = fault::install_protection(injector, c.protection);
    } catch (const Error& e) {
      fail("{}: key 'protection': {}", c.file, e.what());
    }
    nlohmann::json guarded = nlohmann::json::array();
    for (const auto& p : c.protection)
      guarded.push_back({{"scheme", fault::to_string(p.scheme)}, {"bits", p.bits}, {"layers", p.layers.describe()}});
    meta.extra["protection"] = nlohmann::json{{"guarded", guarded}, {"overhead_bits", overhead}}.dump();
  }
  if (!evaluator) evaluator = std::make_unique<FaultEvaluator>(exec, injector, *source, pre, eo);
  // Opened once the campaign is known to be runnable: a config error leaves no file behind.
  store::Store st(opts.output, store::OpenMode::write);
  TrialEvaluator& ev = *evaluator;
  if (st.planned()) {
    if (!opts.resume)
      fail("{}: already holds a campaign; pass --resume to continue it, or choose another -o", opts.output);
    const auto old = st.meta();
    const char* what = old.model_sha256 != meta.model_sha256 ? "the model changed (SHA-256 differs)"
                       : old.data_sha256 != meta.data_sha256 ? "the data changed (SHA-256 differs)"
                       : old.config_yaml != meta.config_yaml ? "the campaign config changed"
                       : old.format != meta.format           ? "the number format changed"
                       : old.preprocessing != meta.preprocessing ? "the preprocessing changed"
                       : old.extra.count("inputs_sha256") && old.extra.at("inputs_sha256") != meta.extra["inputs_sha256"]
                           ? "a file the campaign reads (fault list, calibration data) changed (SHA-256 differs)"
                           : nullptr;
    if (what) fail("{}: refusing to resume: {} since the store was written", opts.output, what);
  } else {
    if (existed && opts.resume) std::fprintf(stderr, "%s: no finished plan in the store; starting afresh\n", opts.output.c_str());
    std::vector<store::TrialPlan> trials;
    try {
      trials = kind.plan(PlanInput{c, injector, exec, &meta});
    } catch (...) {
      // A plan refused (too large, a bad fault list) leaves no new, empty store behind.
      if (!existed) {
        std::error_code ec;
        for (const char* ext : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(opts.output + ext, ec);
      }
      throw;
    }
    int64_t planned = 0, faults = 0;
    for (auto& t : trials) {
      t.trial = planned;
      planned += t.run;
      if (t.run == 1) faults += static_cast<int64_t>(t.faults.size());  // a run's faults take no rows
    }
    const auto& gf = ev.golden_facts();
    std::vector<store::GoldenRow> golden;
    for (size_t i = 0; i < gf.size(); ++i)
      golden.push_back({static_cast<int64_t>(i), ev.labels()[i], ev.golden_top1()[i], gf[i]});
    check_disk(opts.output, planned, faults, source->size());
    meta.started = now_utc();
    meta.status = "running";
    st.write_plan(meta, golden, trials);
  }

  if (opts.shards < 1 || opts.shard < 0 || opts.shard >= opts.shards)
    fail("--shard {}/{}: expected K/N with 1 <= K <= N", opts.shard + 1, opts.shards);
  if (opts.shards > 1 && kind.extend)
    std::fprintf(stderr,
                 "%s: a shard runs the first round only: kind '%s' extends its plan from all of its results (adaptive "
                 "rounds, top-up); after cnnfi merge, run the merged store with --resume to finish them\n",
                 c.file.c_str(), c.kind.c_str());
  if (opts.shards > 1) {
    auto m = st.meta();
    const std::string shard = fmt::format("{}/{}", opts.shard + 1, opts.shards);  // as --shard writes it
    if (m.extra.count("shard") && m.extra.at("shard") != shard)
      fail("{}: holds shard {}, not {}", opts.output, m.extra.at("shard"), shard);
    m.extra["shard"] = shard;
    st.write_meta(m);
  }
  const size_t chunk = opts.chunk > 0 ? opts.chunk : kind.chunk;
  const int64_t images = source->size();  // (a structured binding cannot be captured in C++17)
  RunInfo info;
  for (int round = 0;; ++round) {
    // The plan as stored (runs stay compact) and a bit per finished trial: memory grows with the
    // plan's rows and one chunk, not with the number of trials.
    const auto plan = st.plan_entries();
    info.trials = store::planned_trials(plan);
    auto done = st.finished_mask(info.trials);
    const auto mine = [&](int64_t t) { return !done[static_cast<size_t>(t)] && t % opts.shards == opts.shard; };
    int64_t finished = std::count(done.begin(), done.end(), true), todo = 0;
    if (round == 0) info.already_done = finished;
    for (const auto& e : plan)
      for (int64_t k = 0; k < e.run; ++k) todo += mine(e.trial + k);
    if (opts.progress) opts.progress(finished, info.trials);
    std::vector<store::TrialPlan> part;
    int64_t evaluated = 0;
    const auto flush = [&] {
      const auto chunk_start = std::chrono::steady_clock::now();
      std::vector<const store::TrialPlan*> ptrs;
      for (const auto& p : part) ptrs.push_back(&p);
      const auto results = ev.run_plans(ptrs);
      std::vector<store::TrialRow> rows;
      for (size_t i = 0; i < part.size(); ++i)
        rows.push_back(finished_row(part[i].trial, results[i].facts, results[i].skipped, c.nonfinite));
      st.write_results(rows);
      const bool first = evaluated == 0;
      const auto n = static_cast<int64_t>(rows.size());
      evaluated += n;
      info.evaluated += n;
      finished += n;
      part.clear();
      if (opts.progress) opts.progress(finished, info.trials);
      if (first && round == 0 && opts.budget_seconds > 0 && evaluated < todo) {
        const double per_chunk = std::chrono::duration<double>(std::chrono::steady_clock::now() - chunk_start).count();
        const double left = per_chunk * static_cast<double>(todo - evaluated) / static_cast<double>(n);
        if (left > opts.budget_seconds)
          fail("{}: the {} remaining trials would take about {:.1f} h (a sample of {} spread over the plan took "
               "{:.2f} s on {} images), more than the budget of {:.1f} h; the finished trials are saved: resume with "
               "a larger --budget (hours; 0 = none) and --resume",
               opts.output, todo - evaluated, left / 3600, n, per_chunk, images, opts.budget_seconds / 3600);
      }
    };
    if (round == 0 && opts.budget_seconds > 0 && todo > static_cast<int64_t>(chunk)) {
      // The budget is judged on the first chunk: make it trials spread evenly over what is left
      // (a plan in order starts with one layer, whose cost per trial can be far from the mean;
      // the seed-004 plan's first layer costs 3x its average). Results do not depend on order.
      const auto want = static_cast<int64_t>(chunk);
      int64_t seen = 0, next = 0;
      for (const auto& e : plan)
        for (int64_t k = 0; k < e.run && next < want; ++k) {
          if (!mine(e.trial + k)) continue;
          if (seen++ == next * todo / want) {
            part.push_back(e.run > 1 ? store::run_trial(e, k) : e);
            ++next;
          }
        }
      for (const auto& p : part) done[static_cast<size_t>(p.trial)] = true;
      flush();
    }
    for (const auto& e : plan)
      for (int64_t k = 0; k < e.run; ++k) {
        if (!mine(e.trial + k)) continue;
        part.push_back(e.run > 1 ? store::run_trial(e, k) : e);
        if (part.size() == chunk) flush();
      }
    if (!part.empty()) flush();
    if (!kind.extend || opts.shards > 1) break;
    auto more = kind.extend(PlanInput{c, injector, exec, nullptr}, st);
    if (more.empty()) break;
    int64_t next = info.trials;
    for (auto& t : more) {
      t.trial = next;
      next += t.run;
    }
    st.append_plan(more, round + 2);
  }
  info.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto final_meta = st.meta();
  // A shard's store holds its own trials only: complete once merged (cnnfi merge).
  final_meta.status = opts.shards > 1 ? "running" : "complete";
  final_meta.finished = now_utc();
  final_meta.run_seconds += info.seconds;
  st.write_meta(final_meta);
  return info;
}

}  // namespace cnnfi::campaign
