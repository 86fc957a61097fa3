// The answer first: one summary over every store — the models and their fault-free accuracy,
// the most vulnerable layers and bits, accuracy (and DUE) at each fault count measured, the
// outcome breakdown, and the hardening advisor's recommendation (cnnfi harden).
function smallTable(columns, rows, cls) {
  const t = el("table", { class: "summary-table " + (cls || "") });
  t.append(el("tr", {}, ...columns.map((c) => el("th", { text: c }))));
  for (const r of rows) t.append(el("tr", {}, ...r.map((v) => (v instanceof Node ? el("td", {}, v) : el("td", { text: v == null ? "" : String(v) })))));
  return t;
}
// A horizontal bar of outcome shares (masked, tolerable, critical, DUE), labelled.
function outcomeBar(shares) {
  const bar = el("div", { class: "outcome-bar" });
  for (const k of ["masked", "tolerable", "critical", "due"]) {
    const w = Math.max(0, shares[k] || 0);
    if (w <= 0) continue;
    const seg = el("span", { class: "seg", title: k + " " + pct(w), style: "width:" + (100 * w).toFixed(3) + "%;background:" + OUTCOME_COLORS[k] });
    if (w > 0.08) seg.textContent = (k === "due" ? "DUE" : k) + " " + (100 * w).toFixed(1) + "%";
    bar.append(seg);
  }
  return bar;
}
function outcomeShares(c) {
  const acc = { masked: 0, tolerable: 0, critical: 0, due: 0 };
  let n = 0;
  for (const p of c.points) {
    if (!p.finished) continue;
    for (const k of Object.keys(acc)) acc[k] += p[k] * p.finished;
    n += p.finished;
  }
  if (n) for (const k of Object.keys(acc)) acc[k] /= n;
  return acc;
}

function buildSummary(data) {
  const s = el("section", { class: "answer", id: "summary" }, el("h2", { text: "Summary" }));
  const cs = data.campaigns;
  // Models.
  const models = [...new Set(cs.map((c) => c.model_sha256))].map((sha) => cs.find((c) => c.model_sha256 === sha));
  s.append(el("p", {}, ...models.map((c, i) => el("span", { text: (i ? "; " : "") + c.model_name +
    (c.parameters != null ? " (" + c.parameters.weights.toLocaleString("en") + " parameters, " +
      c.parameters.injectable.toLocaleString("en") + " injectable weights and biases)" : "") +
    ", fault-free top-1 " + pct(c.golden_top1) + " on " + c.meta.images + " images" }))));
  const grid = el("div", { class: "answer-grid" });
  s.append(grid);
  const card = (title, ...body) => grid.append(el("div", { class: "card" }, el("h3", { text: title }), ...body));
  // Most vulnerable layers.
  const layerRows = [];
  for (const c of cs) {
    const v = c.vulnerability;
    Object.entries(v.layers).sort((a, b) => b[1] - a[1]).slice(0, 5)
      .forEach(([name, x]) => layerRows.push([name, num(x, 4), v.metric, c.name]));
  }
  if (layerRows.length) card("Most vulnerable layers", smallTable(["layer", "value", "metric", "campaign"], layerRows));
  // Most vulnerable bits: bit sweeps (accuracy and DUE), seed-004 estimates (critical rate).
  const bitRows = [];
  for (const c of cs) {
    if (c.kind === "bit-sweep")
      c.points.filter((p) => p.finished).sort((a, b) => (b.critical + b.due) - (a.critical + a.due) || a.top1.mean - b.top1.mean).slice(0, 5)
        .forEach((p) => bitRows.push([p.x, c.field_of_bit[String(p.x)] || "", pct(p.top1.mean), pct(p.critical), pct(p.due), c.name]));
    else if (c.estimates && c.estimates.bits.length)
      c.estimates.bits.slice().sort((a, b) => b.p - a.p).slice(0, 5)
        .forEach((b) => bitRows.push([b.bit, c.field_of_bit[String(b.bit)] || "", "", pct(b.p, 3) + " [" + pct(b.lo, 3) + ", " + pct(b.hi, 3) + "]", "", c.name]));
  }
  if (bitRows.length) card("Most vulnerable bits", smallTable(["bit", "field", "top-1", "critical [interval]", "DUE", "campaign"], bitRows));
  // Statistical campaigns that did not keep the margin they promised.
  const missed = cs.filter((c) => c.estimates && c.estimates.missed > 0);
  if (missed.length)
    card("Margins not met", ...missed.map((c) => el("p", { class: "warning", text: c.name + ": " + c.estimates.missed + " of " +
      c.estimates.strata.length + " strata have an error margin above the requested " + pct(c.estimates.requested_error) +
      " (worst " + pct(Math.max(...c.estimates.strata.filter((s) => s.missed).map((s) => s.margin)), 3) +
      "); resume the campaign with top_up: true to sample them further." })));
  // Accuracy at the fault counts measured.
  const inc = cs.filter((c) => c.kind === "incremental");
  if (inc.length) {
    const xs = [...new Set(inc.flatMap((c) => c.points.map((p) => p.x)))].sort((a, b) => a - b);
    const rows = xs.map((x) => [x, ...inc.map((c) => {
      const p = c.points.find((q) => q.x === x && q.finished);
      return p ? pct(p.top1.mean) + " [" + pct(p.top1.ci_lo) + ", " + pct(p.top1.ci_hi) + "]" + (p.due > 0 ? " (DUE " + pct(p.due) + ")" : "") : "";
    })]);
    card("Top-1 accuracy by faults in the weights", smallTable(["faults", ...inc.map((c) => c.name)], rows),
         el("p", { class: "note", text: "Mean over repetitions [95 % confidence interval: Student t over repetitions, clipped to 0–100 %]; DUE: share of inferences with a non-finite output or a detected error." }));
  }
  const q = cs.filter((c) => c.kind === "quantized");
  for (const c of q) {
    const sets = quantizedSets(c);
    const rows = Object.entries(sets).map(([name, pts]) => [name, ...pts.map((x) => x.n + ": " + pct(x.p.top1.mean))]);
    if (rows.length) card("Integer arithmetic, faults per inference: " + c.name, smallTable(["modules", "faults: top-1 …"], rows.map((r) => [r[0], r.slice(1).join(", ")])));
  }
  // Outcome breakdown.
  card("Outcomes per (fault, image)", smallTable(["campaign", "masked · tolerable · critical · DUE"],
       cs.map((c) => [c.name, outcomeBar(outcomeShares(c))])));
  // Advice.
  const a = data.advice;
  if (a && a.recommendation) {
    const r = a.recommendation;
    const rows = (a.per_scheme || []).map((p) => [p.scheme, p.plan, p.overhead + " (" + pct(p.memory_share) + ")", pct(p.removed)]);
    card("What to protect",
         el("p", { class: "recommend", text: "Recommended: " + r.plan + ". It adds " + r.overhead + " (" + pct(r.memory_share) +
           " of the " + a.memory + " " + (a.what || "weight memory") + ") and removes " + pct(r.removed) + " of the predicted critical-or-DUE outcomes." }),
         smallTable(["scheme", "cheapest plan removing ≥ 99 %", "overhead", "removed"], rows),
         el("p", { class: "note", text: "Predicted for single-bit faults from " + a.stores.join(", ") +
           "; verify with cnnfi harden --verify, which simulates the protection in a campaign. Parity corrects by reloading the word from a golden copy." }));
  } else if (a && a.unavailable) {
    card("What to protect", el("p", { class: "note", text: "No advice: " + a.unavailable }));
  }
  const prot = cs.filter((c) => c.protection);
  if (prot.length)
    card("Protected campaigns", smallTable(["campaign", "protection", "overhead", "critical", "DUE"], prot.map((c) => {
      const sh = outcomeShares(c);
      const layers = (l) => { const n = l.split(", "); return n.length > 3 ? n.length + " layers (" + n.slice(0, 2).join(", ") + ", …)" : l; };
      return [c.name, c.protection.guarded.map((g) => g.scheme + (g.modules ? " of modules " + g.modules : " of bits " + g.bits) + " in " + layers(g.layers)).join("; "),
              c.protection.overhead_bits.toLocaleString("en") + " bits", pct(sh.critical), pct(sh.due)];
    })));
  return s;
}
