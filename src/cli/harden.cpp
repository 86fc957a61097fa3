// cnnfi harden: from result stores of weight-fault campaigns, the protection plans for weight
// memory (TMR, SEC-DED, parity with reload) -- or, from stores of kind quantized, for the
// quantised modules (advice/modules.h) -- their exact overhead, the Pareto set of overhead
// against predicted residual vulnerability, and a recommendation; with --verify, the
// recommendation is simulated in a campaign run twice (unprotected, protected: the same faults)
// and the residual is measured.
#include <cstdio>
#include <filesystem>
#include <optional>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "advice/harden.h"
#include "advice/modules.h"
#include "campaign/config.h"
#include "campaign/outcome.h"
#include "campaign/runner.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "store/store.h"
#include "util/error.h"
#include "util/file.h"
#include "util/strings.h"

namespace cnnfi::cli {

namespace {

struct HardenOptions {
  std::vector<std::string> stores;
  std::string model, schemes = "tmr,secded,parity", json, verify, out = "out/harden";
  double target = 0.01;
  bool resume = false;
  data::PreprocessFlags pre;
};

nlohmann::json specs_json(const std::vector<fault::ProtectionSpec>& specs) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& s : specs) {
    nlohmann::json e{{"scheme", fault::to_string(s.scheme)}};
    if (s.modules.empty()) e["bits"] = s.bits;
    else e["modules"] = split(s.modules, ',');
    e["layers"] = s.layers.all() ? nlohmann::json("all") : nlohmann::json(s.layers.names);
    j.push_back(e);
  }
  return j;
}

struct Measured {
  double rate = 0, due = 0;  ///< mean over trials of (critical + DUE) / images, DUE / images
  int64_t trials = 0;
};

Measured measure(const std::string& db) {
  store::Store st(db, store::OpenMode::read);
  const auto policy = campaign::parse_nonfinite(st.meta().nonfinite);
  Measured m;
  for (const auto& r : st.trials()) {
    if (!r.done || !r.images) continue;
    const auto c = campaign::count(r.facts, policy);
    m.rate += static_cast<double>(c.critical + c.due) / static_cast<double>(c.images);
    m.due += static_cast<double>(c.due) / static_cast<double>(c.images);
    ++m.trials;
  }
  if (m.trials) m.rate /= static_cast<double>(m.trials), m.due /= static_cast<double>(m.trials);
  return m;
}

Measured run_variant(const campaign::CampaignConfig& c, const std::string& db, bool resume) {
  campaign::RunOptions ro;
  ro.output = db;
  ro.resume = resume;
  const auto info = campaign::run_campaign(c, ro);
  std::fprintf(stderr, "  %lld trials (%lld evaluated now) in %.1fs -> %s\n", static_cast<long long>(info.trials),
               static_cast<long long>(info.evaluated), info.seconds, db.c_str());
  return measure(db);
}

/// Runs the verifying campaign without and with `specs` and prints what it measured.
nlohmann::json verify_plan(const HardenOptions& o, const campaign::CampaignConfig& c,
                           const std::vector<fault::ProtectionSpec>& specs, double predicted) {
  std::filesystem::create_directories(o.out);
  const std::string plain = o.out + "/unprotected.db", guarded = o.out + "/protected.db";
  std::fprintf(stderr, "verifying with %s (the same faults twice)\n", o.verify.c_str());
  const Measured a = run_variant(c, plain, o.resume);
  auto p = campaign::parse_campaign(c.yaml + "\n# added by cnnfi harden --verify\nprotection: " +
                                        specs_json(specs).dump() + "\n",
                                    c.file);
  p.pre_flags = c.pre_flags;
  const Measured b = run_variant(p, guarded, o.resume);
  const double measured = a.rate > 0 ? b.rate / a.rate : 0;
  std::printf("\nverified on %s (%lld trials each):\n", o.verify.c_str(), static_cast<long long>(a.trials));
  std::printf("  critical-or-DUE per image: unprotected %.4g, protected %.4g (of which DUE %.4g)\n", a.rate, b.rate,
              b.due);
  std::printf("  residual / unprotected: measured %.4g, predicted %.4g\n", measured, predicted);
  return {{"campaign", o.verify}, {"unprotected_store", plain}, {"protected_store", guarded},
          {"trials", a.trials}, {"unprotected_rate", a.rate}, {"protected_rate", b.rate},
          {"protected_due", b.due}, {"measured_ratio", measured}, {"predicted_ratio", predicted}};
}

/// Advice for the quantised modules (advice/modules.h).
void harden_modules(const HardenOptions& o, const std::vector<fault::Scheme>& schemes,
                    const std::optional<campaign::CampaignConfig>& verify) {
  if (verify && verify->kind != "quantized")
    fail("{}: --verify of quantised-module advice needs a campaign of kind quantized, not '{}'", o.verify, verify->kind);
  const auto v = advice::read_module_vulnerability(o.stores);
  const double base = v.unprotected();
  const int64_t memory = v.total_bits();
  std::printf("quantised modules of %s: %s vulnerable per forward pass\n", v.model.c_str(), advice::format_bits(memory).c_str());
  for (const auto& s : v.stores) std::printf("  from %s\n", s.c_str());
  std::printf("\n  %-6s %14s %10s %14s %12s\n", "module", "bits", "of all", "per-fault c", "(trial, image)");
  for (auto m : quant::kAllModules) {
    const auto i = static_cast<size_t>(m);
    if (v.measured(m))
      std::printf("  %-6s %14lld %9.2f%% %14.4g %12lld\n", quant::to_string(m).c_str(), static_cast<long long>(v.bits[i]),
                  100.0 * static_cast<double>(v.bits[i]) / static_cast<double>(memory), v.c[i],
                  static_cast<long long>(v.images[i]));
    else
      std::printf("  %-6s %14lld %9.2f%% %14s %12s\n", quant::to_string(m).c_str(), static_cast<long long>(v.bits[i]),
                  100.0 * static_cast<double>(v.bits[i]) / static_cast<double>(memory), "unmeasured", "(as 0)");
  }
  std::printf("unprotected: %.4g critical-or-DUE outcomes per fault and image (a fault uniform over the vulnerable bits)\n",
              base);
  const auto all = advice::module_candidates(v, schemes);
  const auto front = advice::pareto(all);
  auto row = [&](const advice::Plan& p) {
    std::printf("  %12s %9.2f%% %12.4g %8.2f%%  %s\n", advice::format_bits(p.overhead_bits).c_str(),
                100.0 * static_cast<double>(p.overhead_bits) / static_cast<double>(memory), p.residual,
                base > 0 ? 100.0 * (1 - p.residual / base) : 0.0, p.describe.c_str());
  };
  std::printf("\nPareto set, %zu plans (check bits per forward pass against predicted residual):\n", front.size());
  std::printf("  %12s %10s %12s %9s  %s\n", "overhead", "of bits", "residual", "removed", "plan");
  for (const auto& p : front) row(p);
  nlohmann::json j{{"model", v.model}, {"modules", true}, {"memory_bits", memory}, {"unprotected", base},
                   {"stores", v.stores}, {"target", o.target}};
  j["pareto"] = nlohmann::json::array();
  for (const auto& p : front)
    j["pareto"].push_back({{"scheme", fault::to_string(p.scheme)}, {"plan", p.describe},
                           {"overhead_bits", p.overhead_bits}, {"residual", p.residual}});
  const advice::Plan* rec = advice::recommend(front, base, o.target);
  if (!rec) {
    std::printf("\nno plan reaches %.3g x the unprotected rate%s\n", o.target,
                base <= 0 ? " (nothing measured is vulnerable)" : "");
  } else {
    const auto specs = advice::module_specs(*rec);
    std::printf("\nrecommended (cheapest plan with residual <= %.3g x unprotected): %s\n", o.target, rec->describe.c_str());
    std::printf("  costs %s per forward pass (%.2f%% of the vulnerable bits), predicted residual %.4g (%.2f%% removed)\n",
                advice::format_bits(rec->overhead_bits).c_str(),
                100.0 * static_cast<double>(rec->overhead_bits) / static_cast<double>(memory), rec->residual,
                100.0 * (1 - rec->residual / base));
    std::printf("  as a campaign key: protection: %s\n", specs_json(specs).dump().c_str());
    j["recommendation"] = {{"scheme", fault::to_string(rec->scheme)}, {"plan", rec->describe},
                           {"overhead_bits", rec->overhead_bits}, {"residual", rec->residual},
                           {"protection", specs_json(specs)}};
    if (verify) j["verify"] = verify_plan(o, *verify, specs, base > 0 ? rec->residual / base : 0);
  }
  if (!o.json.empty()) write_file_atomic(o.json, j.dump(2) + "\n");
}

void harden(const HardenOptions& o) {
  refuse_overwrite(o.json, store_inputs(o.stores), "--json");
  if (!(o.target > 0 && o.target <= 1)) fail("--target {}: a fraction of the unprotected rate in (0, 1]", o.target);
  // The verifying campaign is read before the advice is computed: a bad file fails fast.
  std::optional<campaign::CampaignConfig> verify;
  if (!o.verify.empty()) {
    verify = campaign::load_campaign(o.verify);
    verify->pre_flags = o.pre;
    if (!verify->protection.empty()) fail("{}: --verify needs a campaign without 'protection' (harden adds it)", o.verify);
  }
  std::vector<fault::Scheme> schemes;
  for (const auto& s : split(o.schemes, ',')) {
    schemes.push_back(fault::parse_scheme(trim(s)));
    if (schemes.back() == fault::Scheme::none) fail("--schemes: 'none' protects nothing; choose among tmr, secded, parity");
  }
  if (advice::is_quantized_store(o.stores.at(0))) return harden_modules(o, schemes, verify);
  const auto v = advice::read_vulnerability(o.stores, o.model);
  const double base = v.unprotected();
  const int64_t memory = v.words() * v.width;
  std::printf("weight memory: %lld words x %d bits = %s (%s; one word per injectable parameter: the weights and "
              "biases of %zu tensors, as cnnfi info counts them)\n",
              static_cast<long long>(v.words()), v.width, advice::format_bits(memory).c_str(), v.format.c_str(),
              v.layers.size());
  for (const auto& s : v.stores) std::printf("  from %s\n", s.c_str());
  std::map<advice::Source, int64_t> sources;
  for (const auto& row : v.source)
    for (auto s : row) ++sources[s];
  std::string how;
  for (const auto& [s, n] : sources) how += fmt::format("{}{} {}", how.empty() ? "" : ", ", n, advice::to_string(s));
  std::printf("(layer, bit) cells: %s%s\n", how.c_str(),
              sources.count(advice::Source::unknown) ? " (unknown cells count as 0: add a store that measures them)" : "");
  std::printf("unprotected: %.4g critical-or-DUE outcomes per fault and image (a fault uniform over the memory)\n\n", base);
  // The most vulnerable cells.
  std::vector<std::tuple<double, size_t, int>> cells;
  for (size_t l = 0; l < v.layers.size(); ++l)
    for (int b = 0; b < v.width; ++b) cells.emplace_back(v.v[l][static_cast<size_t>(b)], l, b);
  std::sort(cells.begin(), cells.end(), [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
  std::printf("most vulnerable (layer, bit):\n");
  for (size_t i = 0; i < std::min<size_t>(8, cells.size()) && std::get<0>(cells[i]) > 0; ++i)
    std::printf("  %-28s bit %2d  %.4f  (%s)\n", v.layers[std::get<1>(cells[i])].name.c_str(), std::get<2>(cells[i]),
                std::get<0>(cells[i]), advice::to_string(v.source[std::get<1>(cells[i])][static_cast<size_t>(std::get<2>(cells[i]))]));

  const auto all = advice::candidates(v, schemes);
  const auto front = advice::pareto(all);
  auto row = [&](const advice::Plan& p) {
    std::printf("  %12s %9.2f%% %12.4g %8.2f%%  %s\n", advice::format_bits(p.overhead_bits).c_str(),
                100.0 * static_cast<double>(p.overhead_bits) / static_cast<double>(memory), p.residual,
                base > 0 ? 100.0 * (1 - p.residual / base) : 0.0, p.describe.c_str());
  };
  std::printf("\nPareto set, %zu plans (overhead against predicted residual; single-bit faults)%s:\n", front.size(),
              front.size() > 16 ? ", a selection shown (all in --json)" : "");
  std::printf("  %12s %10s %12s %9s  %s\n", "overhead", "of memory", "residual", "removed", "plan");
  const size_t step = front.size() > 16 ? (front.size() + 15) / 16 : 1;
  for (size_t i = 0; i < front.size(); ++i)
    if (i % step == 0 || i + 1 == front.size()) row(front[i]);
  std::printf("\ncheapest plan of each scheme at residual <= %.3g x unprotected:\n", o.target);
  for (const auto s : schemes) {
    std::vector<advice::Plan> mine;
    for (const auto& p : all)
      if (p.scheme == s) mine.push_back(p);
    if (const advice::Plan* p = advice::recommend(mine, base, o.target)) row(*p);
    else std::printf("  %-12s none reaches it\n", fault::to_string(s).c_str());
  }
  const advice::Plan* rec = advice::recommend(front, base, o.target);
  nlohmann::json j{{"model", v.model}, {"format", v.format}, {"memory_bits", memory}, {"unprotected", base},
                   {"stores", v.stores}, {"target", o.target}};
  j["pareto"] = nlohmann::json::array();
  for (const auto& p : front)
    j["pareto"].push_back({{"scheme", fault::to_string(p.scheme)}, {"plan", p.describe},
                           {"overhead_bits", p.overhead_bits}, {"residual", p.residual}});
  if (!rec) {
    std::printf("\nno plan in the Pareto set reaches %.3g x the unprotected rate%s\n", o.target,
                base <= 0 ? " (nothing measured is vulnerable)" : "");
  } else {
    const auto specs = advice::to_specs(v, *rec);
    std::printf("\nrecommended (cheapest plan with residual <= %.3g x unprotected): %s\n", o.target, rec->describe.c_str());
    std::printf("  costs %s (%.2f%% of the weight memory), predicted residual %.4g (%.2f%% removed)\n",
                advice::format_bits(rec->overhead_bits).c_str(),
                100.0 * static_cast<double>(rec->overhead_bits) / static_cast<double>(memory), rec->residual,
                100.0 * (1 - rec->residual / base));
    if (rec->scheme == fault::Scheme::parity)
      std::printf("  (parity corrects by reloading the word from a golden copy: the memory needs a reload path)\n");
    std::printf("  as a campaign key: protection: %s\n", specs_json(specs).dump().c_str());
    j["recommendation"] = {{"scheme", fault::to_string(rec->scheme)}, {"plan", rec->describe},
                           {"overhead_bits", rec->overhead_bits}, {"residual", rec->residual},
                           {"protection", specs_json(specs)}};
    if (verify) j["verify"] = verify_plan(o, *verify, specs, base > 0 ? rec->residual / base : 0);
  }
  if (!o.json.empty()) write_file_atomic(o.json, j.dump(2) + "\n");
}

}  // namespace

void print_harden(const std::vector<std::string>& stores, const std::string& verify, const std::string& out,
                  const std::string& json) {
  HardenOptions o;
  o.stores = stores;
  o.verify = verify;
  o.out = out;
  o.json = json;
  harden(o);
}

void setup_harden(CLI::App& app) {
  auto o = std::make_shared<HardenOptions>();
  auto* sub = app.add_subcommand("harden", "propose protection of weight memory from result stores, and verify it");
  sub->add_option("stores", o->stores, "stores of weight-fault campaigns (bit-sweep, layer-wise, exhaustive, sfi, single), or of "
                                "kind quantized (module advice)")
      ->required();
  sub->add_option("--model", o->model, "the model (default: the path the stores recorded)");
  sub->add_option("--schemes", o->schemes, "schemes to consider (default tmr,secded,parity)");
  sub->add_option("--target", o->target, "recommend the cheapest plan at or below this fraction of the unprotected "
                                         "rate (default 0.01)");
  sub->add_option("--verify", o->verify, "a campaign (YAML, weight faults) run without and with the recommendation");
  sub->add_option("--out", o->out, "folder of the --verify stores (default out/harden)");
  sub->add_flag("--resume", o->resume, "resume the --verify stores");
  sub->add_option("--json", o->json, "also write the advice as JSON");
  add_preprocess_options(*sub, o->pre);
  sub->callback([o] { harden(*o); });
}

}  // namespace cnnfi::cli
