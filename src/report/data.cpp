#include "report/data.h"

#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include "campaign/estimates.h"
#include "campaign/summary.h"
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

json summary_json(const stats::Summary& s) {
  return {{"mean", s.mean}, {"std", s.std}, {"min", s.min}, {"max", s.max}, {"ci", s.ci}, {"n", s.n}};
}

/// The ONNX graph as drawn: one node per ONNX node, edges from each tensor's producer to its
/// readers, and the weight initializers each node reads.
json graph_json(const std::string& model_path) {
  onnx::ModelProto m = onnx_io::parse_model(read_file(model_path), model_path);
  const auto& g = m.graph();
  std::set<std::string> inits;
  int64_t params = 0;
  for (const auto& t : g.initializer()) {
    inits.insert(t.name());
    int64_t n = 1;
    for (auto d : t.dims()) n *= d;
    params += n;
  }
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
  return {{"nodes", nodes}, {"edges", edges}, {"parameters", params}};
}

std::string field_of(const std::vector<repr::BitField>& fields, int bit) {
  for (const auto& f : fields)
    if (bit >= f.lo && bit <= f.hi) return f.name;
  return "";
}

/// Outcome rates summed over finished trials, grouped by a key of the trial's first fault.
json breakdown(const std::vector<store::TrialPlan>& plan, const std::vector<store::TrialRow>& rows, bool by_bit) {
  struct Acc { int64_t faults = 0, pairs = 0, masked = 0, tolerable = 0, critical = 0, due = 0; };
  std::map<std::string, Acc> acc;
  std::vector<std::string> order;
  for (size_t i = 0; i < plan.size() && i < rows.size(); ++i) {
    if (!rows[i].done || plan[i].faults.empty()) continue;
    const auto& f = plan[i].faults[0];
    const std::string k = by_bit ? std::to_string(f.bit) : f.param;
    if (!acc.count(k)) order.push_back(k);
    auto& a = acc[k];
    ++a.faults;
    a.pairs += rows[i].images;
    a.masked += rows[i].masked;
    a.tolerable += rows[i].tolerable;
    a.critical += rows[i].critical;
    a.due += rows[i].due;
  }
  if (by_bit) std::sort(order.begin(), order.end(), [](auto& a, auto& b) { return std::stoi(a) < std::stoi(b); });
  json out = json::array();
  for (const auto& k : order) {
    const auto& a = acc[k];
    const double n = a.pairs ? static_cast<double>(a.pairs) : 1.0;
    json r = {{"faults", a.faults}, {"pairs", a.pairs}, {"masked", a.masked / n}, {"tolerable", a.tolerable / n},
              {"critical", a.critical / n}, {"due", a.due / n}};
    if (by_bit) r["bit"] = std::stoi(k);
    else r["layer"] = k;
    out.push_back(r);
  }
  return out;
}

json campaign_json(const std::string& path, json& graphs) {
  store::Store st(path, store::OpenMode::read);
  const auto meta = st.meta();
  const auto rows = st.trials();
  const auto plan = st.plan();
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
  int64_t finished = 0;
  for (const auto& r : rows) finished += r.done;
  c["planned"] = rows.size();
  c["finished"] = finished;
  c["complete"] = meta.complete() && finished == static_cast<int64_t>(rows.size());
  c["golden_top1"] = campaign::golden_top1(golden);
  int64_t top5 = 0;
  for (const auto& g : golden) top5 += (g.facts & campaign::kTop5Correct) != 0;
  c["golden_top5"] = golden.empty() ? 0.0 : static_cast<double>(top5) / golden.size();
  json points = json::array();
  for (const auto& p : campaign::summarize_points(rows))
    points.push_back({{"point", p.point}, {"x", p.x}, {"planned", p.planned}, {"finished", p.finished},
                      {"top1", summary_json(p.top1)}, {"top5", summary_json(p.top5)}, {"critical", p.critical_rate},
                      {"tolerable", p.tolerable_rate}, {"masked", p.masked_rate}, {"due", p.due_rate}});
  c["points"] = points;
  c["by_layer"] = breakdown(plan, rows, false);
  c["by_bit"] = breakdown(plan, rows, true);
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
  return c;
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
  return d;
}

}  // namespace cnnfi::report
