// Lays the page out from the embedded data: summary and findings per campaign, one section per
// plot kind that applies (campaigns of that kind side by side), the network graph, the tables.
function summaryTable(c) {
  const m = c.meta;
  const rows = [
    ["campaign", c.name + " (" + c.kind + ")"],
    ["store", c.store],
    ["status", c.complete ? "complete" : "NOT FINISHED: " + c.finished + " of " + c.planned + " trials"],
    ["model", c.model_name],
    ["parameters", c.parameters != null ? c.parameters.text : ""],
    ["model SHA-256", c.model_sha256],
    ["golden accuracy", "top-1 " + num(c.golden_top1) + ", top-5 " + num(c.golden_top5)],
    ["data", m.data + " (" + m.images + " images), SHA-256 " + (m.data_sha256 || "")],
    ["executed as", c.execution || m.format], ["seed", m.seed], ["non-finite outputs", m.nonfinite],
    ["cnnfi version", m.cnnfi_version], ["started", m.started || ""], ["finished", m.finished || ""],
    ["duration", m.run_seconds ? num(Number(m.run_seconds), 1) + " s" : ""],
  ];
  const t = el("table", { class: "summary" });
  for (const [k, v] of rows) t.append(el("tr", {}, el("th", { text: k }), el("td", { text: String(v) })));
  return t;
}

function main() {
  const root = document.getElementById("report");
  let data;
  try {
    data = JSON.parse(document.getElementById("cnnfi-data").textContent);
  } catch (e) {
    root.append(el("p", { class: "error", text: "This report's data could not be read (" + e.message + "). Re-create it with cnnfi report." }));
    throw e;
  }
  root.append(el("h1", { text: "cnnfi fault-injection report" }),
              el("p", { class: "meta", text: "cnnfi " + data.cnnfi_version + ", generated " + data.generated }));
  const unfinished = data.campaigns.filter((c) => !c.complete);
  if (unfinished.length)
    root.append(el("p", { class: "warning", text: "Campaign still running or stopped early: " +
      unfinished.map((c) => c.name + " (" + c.finished + " of " + c.planned + " trials)").join(", ") +
      ". The plots show the finished trials only; run it again with --resume, then re-create this report." }));
  root.append(buildSummary(data));
  for (const kind of CNNFI.plots) {
    const cs = data.campaigns.filter(kind.applies);
    const advised = kind.fromAdvice && data.advice && data.advice.pareto;
    if (!cs.length && !advised) continue;
    const built = kind.build(cs, data.advice);
    const s = el("section", { class: "plot" }, el("h2", { text: kind.title }));
    root.append(s);
    const chart = makeChart(s, kind.id, built.option);
    const shown = advised ? data.campaigns.filter((c) => data.advice.stores.includes(c.store)) : cs;
    s.append(el("p", { class: "caption" }, el("b", { text: "Run: " }), el("span", { text: shown.map((c) => c.caption).join("; ") + "." })));
    if (built.note) s.append(el("p", { class: "note", text: built.note }));
    s.append(numberTable(kind.id, built.columns, built.rows));
    const opt = chart.getOption();
    // What a reader sees: each legend entry's swatch colour against its drawn line's colour, and
    // the extreme values of the drawn bands.
    const legendNames = ((opt.legend && opt.legend[0] && opt.legend[0].data) || []).map((d) => (typeof d === "string" ? d : d.name));
    const mismatched = [];
    for (const name of legendNames) {
      const idx = opt.series.findIndex((x) => x.name === name);
      const line = opt.series.find((x) => x.name === name && x.type === "line");
      const swatch = idx >= 0 ? chart.getVisual({ seriesIndex: idx }, "color") : null;
      const drawn = line ? (line.itemStyle && line.itemStyle.color) || chart.getVisual({ seriesIndex: opt.series.indexOf(line) }, "color") : null;
      if (line && swatch !== drawn) mismatched.push(name + ": " + swatch + " vs " + drawn);
    }
    CNNFI.selftest.plots[kind.id] = {
      legend_mismatches: mismatched,
      legend_checked: legendNames.length,
      series: opt.series.length,
      points: opt.series.reduce((a, x) => a + (x.data ? x.data.filter((d) => d != null).length : 0), 0),
      marks: chart.getDom().querySelectorAll("path, rect").length,
      rows: built.rows.length,
    };
  }
  if (data.fits && data.fits.length) root.append(buildFits(data));
  const models = [...new Set(data.campaigns.map((c) => c.model_sha256))];
  for (const sha of models) {
    const graph = data.graphs[sha];
    const s = el("section", { class: "graph" }, el("h2", { text: "Network graph: " + data.campaigns.find((c) => c.model_sha256 === sha).model_name }));
    root.append(s);
    if (!graph || graph.missing) { s.append(el("p", { class: "warning", text: "Graph not available: " + (graph ? graph.missing : "no model") })); continue; }
    const cs = data.campaigns.filter((c) => c.model_sha256 === sha);
    const a = data.advice;
    const advised = a && a.recommendation && a.recommendation.guarded_bits && cs.some((c) => a.stores.includes(c.store));
    // The recommended protection as one more colouring: bits guarded per word in each layer.
    const extra = advised ? [{ name: "recommended protection (" + a.recommendation.scheme + ")",
                               vulnerability: { metric: "guarded bits per word", layers: a.recommendation.guarded_bits } }] : [];
    drawGraph(s, graph, cs.concat(extra));
  }
  // The metadata last, collapsed, complete.
  const details = el("section", { class: "campaigns" }, el("h2", { text: "Campaign details" }));
  for (const c of data.campaigns) {
    const d = el("details", { class: "campaign" }, el("summary", { text: c.name + " (" + c.kind + ")" + (c.complete ? "" : " — NOT FINISHED") }));
    d.append(el("ul", { class: "findings" }, ...c.findings.map((f) => el("li", { text: f }))));
    d.append(summaryTable(c));
    d.append(el("details", {}, el("summary", { text: "Campaign config as run (YAML)" }), el("pre", { text: c.meta.config_yaml || "" })));
    details.append(d);
  }
  root.append(details);
  // Print (cnnfi report --pdf): every collapsed part open, so the document holds all of it.
  if (location.hash === "#print") {
    document.body.classList.add("print");
    document.querySelectorAll("details").forEach((d) => { d.open = true; });
  }
  window.addEventListener("resize", () => CNNFI.charts.forEach((c) => c.chart.resize()));
}

// With #tooltips in the URL (tests): show the tooltip of every data item of every chart once and
// keep their HTML, so that a test can see what a reader hovering over the page would see.
function exerciseTooltips() {
  CNNFI.selftest.tooltips = [];
  for (const { chart } of CNNFI.charts) {
    chart.getOption().series.forEach((s, si) => {
      const n = Math.min(Array.isArray(s.data) ? s.data.length : 0, 200);
      for (let di = 0; di < n; ++di) {
        chart.dispatchAction({ type: "showTip", seriesIndex: si, dataIndex: di });
        const tips = [...chart.getDom().querySelectorAll("div")].filter((d) => d.style.position === "absolute" && d.innerHTML);
        if (tips.length) CNNFI.selftest.tooltips.push(tips[tips.length - 1].innerHTML);
      }
    });
  }
}

const t0 = performance.now();
try {
  main();
  if (location.hash === "#tooltips") exerciseTooltips();
} catch (e) { CNNFI.selftest.errors.push(String(e && e.stack || e)); }
CNNFI.selftest.render_ms = performance.now() - t0;
const st = document.getElementById("cnnfi-selftest");
st.textContent = JSON.stringify(CNNFI.selftest);
