#include "report/data.h"

#include <algorithm>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <array>
#include <map>
#include <set>

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <yaml-cpp/yaml.h>

#include "advice/harden.h"
#include "advice/modules.h"
#include "stats/likelihood.h"
#include "campaign/estimates.h"
#include "campaign/summary.h"
#include "exec/executor.h"
#include "fault/injector.h"
#include "fault/population.h"
#include "onnx/import.h"
#include "repr/format.h"
#include "store/store.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/file.h"
#include "util/sha256.h"

namespace cnnfi::report {

namespace {

using nlohmann::json;

/// A summary of a proportion over repetitions (top-1, top-5): its t-interval (mean ± ci) is
/// clipped to [0, 1] as ci_lo / ci_hi, so the page never shows an interval outside the range.
json summary_json(const stats::Summary& s) {
  return {{"mean", s.mean}, {"std", s.std}, {"min", s.min}, {"max", s.max}, {"ci", s.ci}, {"n", s.n},
          {"ci_lo", std::clamp(s.mean - s.ci, 0.0, 1.0)}, {"ci_hi", std::clamp(s.mean + s.ci, 0.0, 1.0)}};
}

/// The ONNX graph as drawn: one node per ONNX node, edges from each tensor's producer to its
/// readers, and the weight initializers each node reads.
json graph_json(const std::string& model_path) {
  onnx::ModelProto m = onnx_io::parse_model(read_file(model_path), model_path);
  const auto& g = m.graph();
  std::set<std::string> inits;
  for (const auto& t : g.initializer()) inits.insert(t.name());
  std::map<std::string, int> producer;
  json nodes = json::array(), edges = json::array();
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    json w = json::array();
    for (const auto& in : n.input())
      if (inits.count(in)) w.push_back(in);
    nodes.push_back({{"id", i}, {"name", n.name().empty() ? fmt::format("{}_{}", n.op_type(), i) : n.name()},
                     {"op", n.op_type()}, {"weights", w}});
    for (const auto& out : n.output()) producer[out] = i;
  }
  for (int i = 0; i < g.node_size(); ++i)
    for (const auto& in : g.node(i).input()) {
      const auto it = producer.find(in);
      if (it != producer.end()) edges.push_back({it->second, i});
    }
  // Parameters as `cnnfi info` and `cnnfi harden` count them (fault/population.h).
  exec::Executor ex(onnx_io::load_model(model_path));
  const fault::WeightInjector inj(ex, repr::find_format("fp32"));
  const auto pc = fault::parameter_counts(inj, ex);
  return {{"nodes", nodes},
          {"edges", edges},
          {"parameters",
           {{"weights", pc.weights}, {"injectable", pc.injectable}, {"layer_weights", pc.layer_weights},
            {"text", pc.describe()}}}};
}

std::string field_of(const std::vector<repr::BitField>& fields, int bit) {
  for (const auto& f : fields)
    if (bit >= f.lo && bit <= f.hi) return f.name;
  return "";
}

/// Outcome rates summed over finished trials, grouped by a key of the trial's first fault; fed
/// one trial at a time (its size is bounded by the layers or bits, not the trials).
class Breakdown {
 public:
  explicit Breakdown(bool by_bit) : by_bit_(by_bit) {}
  void add(const store::TrialRow& r, const std::vector<fault::WeightFault>& faults) {
    if (!r.done || faults.empty()) return;
    const auto& f = faults[0];
    const std::string k = by_bit_ ? std::to_string(f.bit) : f.param;
    if (!acc_.count(k)) order_.push_back(k);
    auto& a = acc_[k];
    ++a.faults;
    a.pairs += r.images;
    a.masked += r.masked;
    a.tolerable += r.tolerable;
    a.critical += r.critical;
    a.due += r.due;
  }
  json result() const {
    auto order = order_;
    if (by_bit_) std::sort(order.begin(), order.end(), [](auto& a, auto& b) { return std::stoi(a) < std::stoi(b); });
    json out = json::array();
    for (const auto& k : order) {
      const auto& a = acc_.at(k);
      const double n = a.pairs ? static_cast<double>(a.pairs) : 1.0;
      json r = {{"faults", a.faults}, {"pairs", a.pairs}, {"masked", a.masked / n}, {"tolerable", a.tolerable / n},
                {"critical", a.critical / n}, {"due", a.due / n}};
      if (by_bit_) r["bit"] = std::stoi(k);
      else r["layer"] = k;
      out.push_back(r);
    }
    return out;
  }

 private:
  struct Acc { int64_t faults = 0, pairs = 0, masked = 0, tolerable = 0, critical = 0, due = 0; };
  bool by_bit_;
  std::map<std::string, Acc> acc_;
  std::vector<std::string> order_;
};

std::string caption(const json& c, const store::Meta& meta);

/// Seed 002's per-layer fault-tolerance likelihood (stats/likelihood.h) of a grid store: per
/// (mode, domain, layer, faults) over the repetitions, a trial tolerated when its top-1 stays
/// within 1 point of the fault-free top-1.
using LikelihoodCells = std::map<std::string, std::array<int64_t, 2>>;  // point -> (tolerated, trials)

void add_likelihood(LikelihoodCells& cells, const store::TrialRow& r, double golden) {
  if (!r.done || r.images <= 0 || r.point.find("target=layer ") == std::string::npos) return;
  int64_t correct = 0;
  for (auto f : r.facts) correct += (f & campaign::kTop1Correct) != 0;
  auto& cell = cells[r.point];
  cell[0] += static_cast<double>(correct) / static_cast<double>(r.facts.size()) >= golden - 0.01;
  ++cell[1];
}

json likelihood_json(const LikelihoodCells& cells) {
  json out = json::array();
  for (const auto& [point, cell] : cells) {
    const auto l = stats::tolerance_likelihood(cell[0], cell[1]);
    out.push_back({{"point", point}, {"tolerated", l.tolerated}, {"trials", l.trials}, {"likelihood", l.mean},
                   {"lo", l.lo}, {"hi", l.hi}, {"entropy", l.entropy}});
  }
  return out;
}

json campaign_json(const std::string& path, json& graphs) {
  store::Store st(path, store::OpenMode::read);
  const auto meta = st.meta();
  const auto golden = st.golden();
  json c;
  c["store"] = path;
  c["name"] = std::filesystem::path(path).stem().string();
  json jm = json::object();
  for (const auto& [k, v] : meta.to_map())
    if (k != "strata") jm[k] = v;
  c["meta"] = jm;
  const std::string kind = meta.kind;
  c["kind"] = kind;
  if (meta.extra.count("quantized")) {
    try {
      c["quantized"] = json::parse(meta.extra.at("quantized"));
    } catch (const json::exception& e) {
      fail("{}: damaged result store: metadata 'quantized': {}", path, e.what());
    }
  }
  // One streaming pass over the trials (memory bounded by the points, layers and bits).
  const double golden_top1 = campaign::golden_top1(golden);
  int64_t finished = 0, planned = 0;
  campaign::PointSummarizer summarizer;
  Breakdown by_layer(false), by_bit(true);
  LikelihoodCells cells;
  st.for_each_trial(
      [&](const store::TrialRow& r, const std::vector<fault::WeightFault>& faults) {
        ++planned;
        finished += r.done;
        summarizer.add(r);
        by_layer.add(r, faults);
        by_bit.add(r, faults);
        if (kind == "grid") add_likelihood(cells, r, golden_top1);
      },
      true);
  c["planned"] = planned;
  c["finished"] = finished;
  c["complete"] = meta.complete() && finished == planned;
  c["golden_top1"] = golden_top1;
  int64_t top5 = 0;
  for (const auto& g : golden) top5 += (g.facts & campaign::kTop5Correct) != 0;
  c["golden_top5"] = golden.empty() ? 0.0 : static_cast<double>(top5) / golden.size();
  json points = json::array();
  for (const auto& p : summarizer.result())
    points.push_back({{"point", p.point}, {"x", p.x}, {"planned", p.planned}, {"finished", p.finished},
                      {"top1", summary_json(p.top1)}, {"top5", summary_json(p.top5)}, {"critical", p.critical_rate},
                      {"tolerable", p.tolerable_rate}, {"masked", p.masked_rate}, {"due", p.due_rate}});
  c["points"] = points;
  if (kind == "grid") c["likelihood"] = likelihood_json(cells);
  c["by_layer"] = by_layer.result();
  c["by_bit"] = by_bit.result();
  // Bit fields of the format (as for the first faulty layer's parameters; floats do not depend on them).
  const auto& format = repr::find_format(meta.format);
  json fields = json::array();
  repr::Params params;
  for (const auto& f : format.fields(params)) fields.push_back({{"name", f.name}, {"lo", f.lo}, {"hi", f.hi}});
  c["fields"] = fields;
  json field_of_bit = json::object();
  for (int b = 0; b < format.width(); ++b) field_of_bit[std::to_string(b)] = field_of(format.fields(params), b);
  c["field_of_bit"] = field_of_bit;
  // Seed-004 estimates.
  if (!meta.strata.empty()) {
    const auto crit = campaign::parse_criticality(meta.criticality);
    c["estimates"] = campaign::to_json(campaign::estimate_store(st, campaign::parse_nonfinite(meta.nonfinite), crit, meta.t));
  }
  // Per-layer vulnerability for the graph: accuracy drop (layer-wise) or critical rate.
  json vuln = json::object();
  std::string metric;
  if (kind == "layer-wise") {
    metric = "accuracy drop";
    for (const auto& p : c["points"]) {
      const std::string pt = p["point"];
      if (pt.rfind("layer=", 0) == 0) vuln[pt.substr(6)] = c["golden_top1"].get<double>() - p["top1"]["mean"].get<double>();
    }
  } else if (c.contains("estimates")) {
    metric = "critical rate";
    for (const auto& l : c["estimates"]["layers"]) vuln[l["name"].get<std::string>()] = l["p"];
  } else if (kind == "single") {
    metric = "critical rate";
    for (const auto& l : c["by_layer"]) vuln[l["layer"].get<std::string>()] = l["critical"];
  }
  c["vulnerability"] = {{"metric", metric}, {"layers", vuln}};
  // The model and its graph (drawn once per model).
  const std::string model = meta.model;
  const std::string sha = meta.model_sha256;
  c["model_name"] = std::filesystem::path(model).filename().string();
  if (!graphs.contains(sha)) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(model, ec) && sha256_file(model) == sha) {
      graphs[sha] = graph_json(model);
    } else {
      graphs[sha] = {{"missing", fmt::format("{} is not there or has changed since the campaign ran", model)}};
    }
  }
  c["model_sha256"] = sha;
  if (graphs[sha].contains("parameters")) c["parameters"] = graphs[sha]["parameters"];
  c["findings"] = findings(c);
  c["caption"] = caption(c, meta);
  c["execution"] = meta.execution();
  if (meta.extra.count("protection")) {
    try {
      c["protection"] = json::parse(meta.extra.at("protection"));
    } catch (const json::exception& e) {
      fail("{}: damaged result store: metadata 'protection': {}", path, e.what());
    }
  }
  return c;
}

/// What a plot of this campaign shows was run: model, data, format, fault model, repetitions.
std::string caption(const json& c, const store::Meta& meta) {
  std::string fault_model = "bit flip", reps, data = meta.data;
  try {
    const YAML::Node y = YAML::Load(meta.config_yaml);
    if (y.IsMap() && y["fault_model"]) fault_model = y["fault_model"].as<std::string>();
    if (y.IsMap() && y["repetitions"]) reps = y["repetitions"].as<std::string>();
    if (y.IsMap() && y["data"] && y["data"].IsScalar()) data = y["data"].as<std::string>();
    if (meta.kind == "quantized" && !(y.IsMap() && y["repetitions"])) reps = "3";
  } catch (const YAML::Exception&) {
    // The config as stored is only read for the caption; the store's own rows are checked elsewhere.
  }
  if (reps.empty() && (meta.kind == "incremental" || meta.kind == "bit-sweep" || meta.kind == "layer-wise")) reps = "60";
  std::string prot;
  if (meta.extra.count("protection")) prot = ", protected";
  return fmt::format("{}: {} ({}), {} images of {}, {}, {}{}{}, seed {}", c["name"].get<std::string>(),
                     c["model_name"].get<std::string>(), meta.kind, meta.images, data, meta.execution(),
                     meta.kind == "quantized" ? "bit flips in int8/int32 modules"
                     : meta.kind == "grid"    ? "SEU and 8-bit MBU in weights and activations" + std::string(meta.extra.count("layout") ? " (layout " + meta.extra.at("layout") + ")" : "")
                                              : fault_model,
                     reps.empty() ? "" : ", " + reps + " repetitions", prot, meta.seed);
}

/// The advisor's answer for the weight-fault stores of the first model that has any (see
/// advice/harden.h), or null when none can advise.
json advice_json(const std::vector<std::string>& stores, const json& campaigns);

/// One protection plan as the page shows it (`memory`: the bits the overhead is a share of).
json plan_json(const advice::Plan& p, double base, int64_t memory) {
  return json{{"scheme", fault::to_string(p.scheme)}, {"plan", p.describe}, {"overhead_bits", p.overhead_bits},
              {"overhead", advice::format_bits(p.overhead_bits)},
              {"memory_share", static_cast<double>(p.overhead_bits) / static_cast<double>(memory)},
              {"residual", p.residual}, {"removed", base > 0 ? 1 - p.residual / base : 0.0}};
}

/// The advisor's answer for the quantised-module stores (advice/modules.h) of the first model
/// that has any, in advice_json's shape; null when there are none.
json module_advice_json(const std::vector<std::string>& stores, const json& campaigns) {
  std::vector<std::string> usable;
  std::string sha;
  for (size_t i = 0; i < stores.size(); ++i) {
    const auto& c = campaigns[i];
    if (c["kind"] != "quantized" || c.contains("protection")) continue;
    if (sha.empty()) sha = c["model_sha256"];
    if (c["model_sha256"] == sha) usable.push_back(stores[i]);
  }
  if (usable.empty()) return nullptr;
  try {
    const auto v = advice::read_module_vulnerability(usable);
    const double base = v.unprotected();
    const std::vector<fault::Scheme> schemes = {fault::Scheme::tmr, fault::Scheme::secded, fault::Scheme::parity};
    const auto all = advice::module_candidates(v, schemes);
    const auto front = advice::pareto(all);
    const int64_t memory = v.total_bits();
    auto plan = [&](const advice::Plan& p) { return plan_json(p, base, memory); };
    json j{{"stores", usable}, {"memory_bits", memory}, {"memory", advice::format_bits(memory)},
           {"what", "vulnerable bits of the quantised modules per forward pass"}, {"unprotected", base}, {"target", 0.01}};
    j["modules"] = json::array();
    for (auto m : quant::kAllModules) {
      const auto i = static_cast<size_t>(m);
      j["modules"].push_back({{"module", quant::to_string(m)}, {"bits", v.bits[i]},
                              {"c", v.measured(m) ? json(v.c[i]) : json(nullptr)}});
    }
    j["pareto"] = json::array();
    for (const auto& p : front) j["pareto"].push_back(plan(p));
    j["per_scheme"] = json::array();
    for (const auto s : schemes) {
      std::vector<advice::Plan> mine;
      for (const auto& p : all)
        if (p.scheme == s) mine.push_back(p);
      if (const auto* p = advice::recommend(mine, base, 0.01)) j["per_scheme"].push_back(plan(*p));
    }
    if (const auto* r = advice::recommend(front, base, 0.01)) j["recommendation"] = plan(*r);
    return j;
  } catch (const Error& e) {
    return json{{"unavailable", e.what()}};
  }
}

json advice_json(const std::vector<std::string>& stores, const json& campaigns) {
  std::vector<std::string> usable;
  std::string sha, format;
  for (size_t i = 0; i < stores.size(); ++i) {
    const auto& c = campaigns[i];
    const std::string k = c["kind"];
    if (k == "quantized" || k == "incremental" || k == "grid" || k == "over-time" || c.contains("protection")) continue;
    if (sha.empty()) sha = c["model_sha256"], format = c["meta"]["format"];
    if (c["model_sha256"] == sha && c["meta"]["format"] == format) usable.push_back(stores[i]);
  }
  if (usable.empty()) return module_advice_json(stores, campaigns);
  try {
    const auto v = advice::read_vulnerability(usable);
    const double base = v.unprotected();
    const auto all = advice::candidates(v, {fault::Scheme::tmr, fault::Scheme::secded, fault::Scheme::parity});
    const auto front = advice::pareto(all);
    const int64_t memory = v.words() * v.width;
    auto plan = [&](const advice::Plan& p) { return plan_json(p, base, memory); };
    json j{{"stores", usable}, {"memory_bits", memory}, {"memory", advice::format_bits(memory)},
           {"what", "weight memory"}, {"unprotected", base}, {"target", 0.01}};
    j["pareto"] = json::array();
    for (const auto& p : front) j["pareto"].push_back(plan(p));
    j["per_scheme"] = json::array();
    for (const auto s : {fault::Scheme::tmr, fault::Scheme::secded, fault::Scheme::parity}) {
      std::vector<advice::Plan> mine;
      for (const auto& p : all)
        if (p.scheme == s) mine.push_back(p);
      if (const auto* p = advice::recommend(mine, base, 0.01)) j["per_scheme"].push_back(plan(*p));
    }
    if (const auto* r = advice::recommend(front, base, 0.01)) {
      j["recommendation"] = plan(*r);
      // Guarded bits per layer, for the graph coloured by the recommended protection.
      json layers = json::object();
      for (size_t l = 0; l < v.layers.size(); ++l) layers[v.layers[l].name] = __builtin_popcount(r->masks[l]);
      j["recommendation"]["guarded_bits"] = layers;
    }
    return j;
  } catch (const Error& e) {
    return json{{"unavailable", e.what()}};
  }
}

}  // namespace

std::vector<std::string> findings(const json& c) {
  std::vector<std::string> out;
  const auto& v = c["vulnerability"];
  if (!v["layers"].empty()) {
    std::string best;
    double worst = -1e300;
    for (const auto& [name, x] : v["layers"].items())
      if (x.get<double>() > worst) worst = x.get<double>(), best = name;
    out.push_back(fmt::format("Most vulnerable layer: {} ({} {:.4f})", best, v["metric"].get<std::string>(), worst));
  }
  const std::string kind = c["kind"];
  if (kind == "bit-sweep" && !c["points"].empty()) {
    const json* w = nullptr;
    for (const auto& p : c["points"])
      if (p["finished"].get<int64_t>() > 0 && (!w || p["top1"]["mean"].get<double>() < (*w)["top1"]["mean"].get<double>())) w = &p;
    if (w)
      out.push_back(fmt::format("Most vulnerable bit: {} (mean top-1 {:.4f} against golden {:.4f})",
                                static_cast<int>((*w)["x"].get<double>()), (*w)["top1"]["mean"].get<double>(),
                                c["golden_top1"].get<double>()));
  } else if (c.contains("estimates") && !c["estimates"]["bits"].empty()) {
    const json* w = nullptr;
    for (const auto& b : c["estimates"]["bits"])
      if (!w || b["p"].get<double>() > (*w)["p"].get<double>()) w = &b;
    out.push_back(fmt::format("Most vulnerable bit: {} (critical rate {:.6f} +- {:.6f})", (*w)["bit"].get<int>(),
                              (*w)["p"].get<double>(), (*w)["margin"].get<double>()));
  } else if (!c["by_bit"].empty() && kind == "single") {
    const json* w = nullptr;
    for (const auto& b : c["by_bit"])
      if (!w || b["critical"].get<double>() > (*w)["critical"].get<double>()) w = &b;
    out.push_back(fmt::format("Most vulnerable bit: {} (critical rate {:.4f})", (*w)["bit"].get<int>(), (*w)["critical"].get<double>()));
  }
  if (kind == "incremental" && !c["points"].empty()) {
    const json* last = nullptr;
    for (const auto& p : c["points"])
      if (p["finished"].get<int64_t>() > 0 && (!last || p["x"].get<double>() >= (*last)["x"].get<double>())) last = &p;
    if (last)
      out.push_back(fmt::format("Accuracy at the largest fault count ({} faults): mean top-1 {:.4f} (min {:.4f}, max {:.4f}; golden {:.4f})",
                                static_cast<int64_t>((*last)["x"].get<double>()), (*last)["top1"]["mean"].get<double>(),
                                (*last)["top1"]["min"].get<double>(), (*last)["top1"]["max"].get<double>(),
                                c["golden_top1"].get<double>()));
  }
  if (c.contains("estimates"))
    out.push_back(fmt::format("Network critical rate: {:.6f} +- {:.6f} ({} of {} faults injected)",
                              c["estimates"]["network"]["p"].get<double>(), c["estimates"]["network"]["margin"].get<double>(),
                              c["estimates"]["network"]["n"].get<int64_t>(), c["estimates"]["network"]["N"].get<int64_t>()));
  return out;
}

nlohmann::json report_data(const std::vector<std::string>& stores) {
  if (stores.empty()) fail("report: no result store given");
  json d = {{"cnnfi_version", CNNFI_VERSION}, {"generated", now_utc()}};
  json graphs = json::object();
  json campaigns = json::array();
  for (const auto& s : stores) campaigns.push_back(campaign_json(s, graphs));
  d["campaigns"] = campaigns;
  d["graphs"] = graphs;
  d["advice"] = advice_json(stores, campaigns);
  return d;
}

}  // namespace cnnfi::report
