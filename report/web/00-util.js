// cnnfi report: shared helpers. Every plot kind is one file (plot-*.js) that registers itself
// with CNNFI.plot({...}); main.js lays the page out. Nothing here reaches the network.
"use strict";
const CNNFI = {
  plots: [],
  charts: [],
  selftest: { errors: [], plots: {}, graphs: [] },
  plot(kind) { this.plots.push(kind); },
};
window.addEventListener("error", (e) => CNNFI.selftest.errors.push(String(e.message || e)));
{
  const orig = console.error.bind(console);
  console.error = (...a) => { CNNFI.selftest.errors.push(a.map(String).join(" ")); orig(...a); };
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}
// Every string that comes from a model, a store or a config and reaches HTML (tooltips are HTML)
// goes through esc(); DOM text goes through textContent (el(..., {text})).
function esc(s) {
  return String(s).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]);
}
// Rates and accuracies live in [0, 1]: bands (mean ± std) are clipped to it.
function clamp01(y) { return y == null || Number.isNaN(y) ? y : Math.min(1, Math.max(0, y)); }
function num(x, d = 4) { return x == null || Number.isNaN(x) ? "" : Number(x).toFixed(d); }
function pct(x, d = 2) { return x == null ? "" : (100 * x).toFixed(d) + " %"; }

function csvText(columns, rows) {
  const q = (v) => { const s = v == null ? "" : String(v); return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s; };
  return [columns.map(q).join(",")].concat(rows.map((r) => r.map(q).join(","))).join("\n") + "\n";
}
function download(name, mime, text) {
  const a = el("a", { href: URL.createObjectURL(new Blob([text], { type: mime })), download: name });
  document.body.append(a); a.click(); a.remove();
}
// A table of every plotted number, with a CSV download button.
function numberTable(id, columns, rows) {
  const t = el("table", { class: "numbers", id: id + "-table" });
  t.append(el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", { text: c })))));
  const body = el("tbody");
  for (const r of rows) body.append(el("tr", {}, ...r.map((v) => el("td", { text: typeof v === "number" ? num(v, 6) : v }))));
  t.append(body);
  const button = el("button", { class: "csv", text: "Download CSV" });
  button.onclick = () => download(id + ".csv", "text/csv", csvText(columns, rows));
  return el("details", { class: "table" }, el("summary", { text: "Numbers (" + rows.length + " rows)" }), button, t);
}
// A chart (SVG renderer) with SVG and PNG export.
function makeChart(container, id, option) {
  const box = el("div", { class: "chart", id: id });
  container.append(box);
  const chart = echarts.init(box, null, { renderer: "svg" });
  option.animation = false;
  option.toolbox = { feature: { saveAsImage: { title: "SVG", name: id }, dataZoom: {}, restore: {} } };
  chart.setOption(option);
  const png = el("button", { class: "png", text: "Save PNG" });
  png.onclick = () => {
    const img = new Image();
    img.onload = () => {
      const c = el("canvas"); c.width = box.clientWidth * 2; c.height = box.clientHeight * 2;
      const g = c.getContext("2d"); g.fillStyle = "#fff"; g.fillRect(0, 0, c.width, c.height);
      g.drawImage(img, 0, 0, c.width, c.height);
      const a = el("a", { href: c.toDataURL("image/png"), download: id + ".png" }); document.body.append(a); a.click(); a.remove();
    };
    img.src = chart.getDataURL({ type: "svg" });
  };
  container.append(png);
  CNNFI.charts.push({ id, chart, box });
  return chart;
}
// A filled band between two polylines ([x, y] points in axis coordinates; x may be a category
// index), drawn as one polygon: std bands, min/max envelopes.
function bandSeries(name, lower, upper, color, opacity) {
  const ok = (p) => p[1] != null && !Number.isNaN(p[1]);
  const lo = lower.filter(ok), hi = upper.filter(ok);
  // The extremes of every band drawn, for the tests: rates and accuracies must stay in [0, 1].
  for (const p of lo.concat(hi)) {
    CNNFI.selftest.band_min = Math.min(CNNFI.selftest.band_min ?? Infinity, p[1]);
    CNNFI.selftest.band_max = Math.max(CNNFI.selftest.band_max ?? -Infinity, p[1]);
  }
  return {
    name, type: "custom", silent: true, data: [[0, 0]], z: 1, tooltip: { show: false }, itemStyle: { color },
    renderItem(params, api) {
      if (params.dataIndex !== 0 || !lo.length) return null;
      const points = lo.map((p) => api.coord(p)).concat(hi.slice().reverse().map((p) => api.coord(p)));
      return { type: "polygon", shape: { points }, style: { fill: color, opacity } };
    },
  };
}
const FIELD_COLORS = { sign: "#d62728", exponent: "#ff7f0e", mantissa: "#1f77b4", integer: "#ff7f0e", fraction: "#1f77b4",
                       magnitude: "#1f77b4", "": "#7f7f7f" };
const OUTCOME_COLORS = { masked: "#2ca02c", tolerable: "#bcbd22", critical: "#d62728", due: "#9467bd" };
// Vertical error bars from [x, low, high] items (x may be a category index).
// Named like their line, they share its legend entry.
function errorBars(data, color = "#000", name = "margin") {
  return {
    type: "custom", name, data,
    // Both ends count towards the value axis's extent (a whisker is never cut at the frame), and
    // the legend swatch has the whiskers' colour.
    encode: { x: 0, y: [1, 2] }, itemStyle: { color },
    renderItem(params, api) {
      const lo = api.coord([api.value(0), api.value(1)]), hi = api.coord([api.value(0), api.value(2)]);
      return { type: "group", children: [
        { type: "line", shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: { stroke: color } },
        { type: "line", shape: { x1: lo[0] - 4, y1: lo[1], x2: lo[0] + 4, y2: lo[1] }, style: { stroke: color } },
        { type: "line", shape: { x1: hi[0] - 4, y1: hi[1], x2: hi[0] + 4, y2: hi[1] }, style: { stroke: color } } ] };
    },
    tooltip: { show: false },
  };
}
// The points of a quantised (seed 003) campaign grouped by module set: {set: [{n, rate, p}]},
// with the fault rate of eq. 3.1 (faults per inference / vulnerable bits of the set).
function quantizedSets(c) {
  const bits = Object.fromEntries(((c.quantized || {}).sets || []).map((s) => [s.name, s.bits]));
  const out = {};
  for (const p of c.points) {
    const m = /^modules=(\S+) faults=(\d+)$/.exec(p.point);
    if (!m || !p.finished) continue;
    const n = Number(m[2]);
    (out[m[1]] = out[m[1]] || []).push({ n, rate: bits[m[1]] ? n / bits[m[1]] : null, p });
  }
  for (const k of Object.keys(out)) out[k].sort((a, b) => a.n - b.n);
  return out;
}
