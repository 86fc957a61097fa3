// Seed 002's scenarios (kind grid): accuracy against the number of faults for each scenario over
// the whole network (fault mode x domain, one line each, whiskers the 95 % confidence interval),
// and the accuracy drop per layer and scenario at the largest fault count as a heat map (the
// seed's Fig. 6 view of which layers are sensitive).
/// Scenario columns in the seed's order: SEU before MBU, weights before activations.
function scenarioOrder(cols) {
  const rank = (c) => (c.includes("MBU") ? 2 : 0) + (c.includes("activations") ? 1 : 0);
  // (a campaign's name, when several are shown, is the first line of its label)
  return cols.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function gridPoints(c) {
  return c.points.filter((p) => p.finished > 0).map((p) => {
    const v = Object.fromEntries(p.point.split(" ").map((kv) => kv.split("=")));
    return { p, mode: v.mode, domain: v.domain, target: v.target, layer: Number(v.layer), n: Number(v.faults) };
  });
}

CNNFI.plot({
  id: "grid-faults",
  title: "Accuracy vs faults per scenario (whole network)",
  applies: (c) => c.kind === "grid" && gridPoints(c).some((g) => g.target === "network"),
  build(cs) {
    const series = [], rows = [], legend = [];
    const all = cs.flatMap((c) => gridPoints(c).filter((g) => g.target === "network").map((g) => ({ c, ...g })));
    const ns = [...new Set(all.map((g) => g.n))].sort((a, b) => a - b);
    const palette = { "seu weights": "#1f77b4", "mbu weights": "#d62728", "seu activations": "#2ca02c", "mbu activations": "#ff7f0e" };
    const extra = ["#9467bd", "#8c564b", "#17becf", "#7f7f7f"];
    let k = 0;
    for (const c of cs)
      for (const scen of [...new Set(all.filter((g) => g.c === c).map((g) => g.mode + " " + g.domain))]) {
        const gs = all.filter((g) => g.c === c && g.mode + " " + g.domain === scen).sort((a, b) => a.n - b.n);
        const name = (cs.length > 1 ? c.name + " " : "") + scen.toUpperCase().replace(" WEIGHTS", " weights").replace(" ACTIVATIONS", " activations");
        const color = cs.length > 1 ? extra.concat(Object.values(palette))[k++ % 8] : palette[scen] || extra[k++ % 4];
        series.push({ name, type: "line", itemStyle: { color }, lineStyle: { color, type: scen.startsWith("mbu") ? "solid" : "dashed" },
                      symbolSize: 6, z: 3, data: gs.map((g) => [ns.indexOf(g.n), g.p.top1.mean]) });
        series.push(errorBars(gs.map((g) => [ns.indexOf(g.n), Math.max(0, g.p.top1.mean - g.p.top1.ci), Math.min(1, g.p.top1.mean + g.p.top1.ci)]), color, name));
        legend.push(name);
        for (const g of gs) rows.push([c.name, g.mode, g.domain, g.n, g.p.finished, g.p.top1.mean, g.p.top1.ci, c.golden_top1 - g.p.top1.mean]);
      }
    return {
      option: {
        tooltip: { trigger: "axis" }, legend: { data: legend, type: "scroll" },
        grid: { top: 70, containLabel: true },
        xAxis: { type: "category", name: "faults", data: ns.map(String) },
        yAxis: { type: "value", name: "top-1 accuracy", min: 0, max: 1 },
        series,
      },
      note: "SEU: single bit flips; MBU: bursts of 8 adjacent bits of a memory word. Weights: persistent upsets of the weight memory; activations: upsets of the stored activations in every inference. Whiskers: 95 % confidence interval of the mean over repetitions.",
      columns: ["campaign", "mode", "domain", "faults", "repetitions", "top1 mean", "top1 ci95", "accuracy drop"],
      rows,
    };
  },
});

CNNFI.plot({
  id: "grid-layers",
  title: "Accuracy drop per layer and scenario",
  applies: (c) => c.kind === "grid" && gridPoints(c).some((g) => g.target === "layer"),
  build(cs) {
    const entries = [], rows = [];
    const cols = [], rowsAxis = [];
    for (const c of cs) {
      const gs = gridPoints(c).filter((g) => g.target === "layer");
      const top = Math.max(...gs.map((g) => g.n));
      for (const g of gs.filter((g) => g.n === top)) {
        const col = (cs.length > 1 ? c.name + "\n" : "") + g.mode.toUpperCase() + " " + g.domain;
        const row = "layer " + g.layer;
        if (!cols.includes(col)) cols.push(col);
        if (!rowsAxis.includes(row)) rowsAxis.push(row);
        const drop = Math.max(0, c.golden_top1 - g.p.top1.mean);
        entries.push({ col, row, drop });
        rows.push([c.name, g.mode, g.domain, g.layer, g.n, g.p.top1.mean, drop]);
      }
    }
    rowsAxis.sort((a, b) => Number(a.split(" ")[1]) - Number(b.split(" ")[1]));
    scenarioOrder(cols);
    const cells = entries.map((e) => [cols.indexOf(e.col), rowsAxis.indexOf(e.row), e.drop]);
    const max = Math.max(0.01, ...cells.map((q) => q[2]));
    return {
      option: {
        tooltip: { formatter: (p) => esc(cols[p.value[0]]) + ", " + esc(rowsAxis[p.value[1]]) + ": drop " + num(p.value[2], 3) },
        grid: { containLabel: true, left: 20, right: 90, bottom: 20 },
        xAxis: { type: "category", data: cols, axisLabel: { interval: 0, lineHeight: 16 } },
        yAxis: { type: "category", data: rowsAxis, inverse: true },
        visualMap: { min: 0, max, calculable: true, orient: "vertical", right: 0, top: "middle", text: ["drop", "0"],
                     inRange: { color: ["#f7fbff", "#fdae6b", "#d94801", "#7f2704"] } },
        series: [{ type: "heatmap", data: cells, label: { show: true, formatter: (p) => num(p.value[2], 2) } }],
      },
      note: "Top-1 accuracy lost (fault-free minus mean) with the largest fault count of the schedule in one layer at a time; weights and activations are numbered separately, in graph order.",
      columns: ["campaign", "mode", "domain", "layer", "faults", "top1 mean", "accuracy drop"],
      rows,
    };
  },
});

CNNFI.plot({
  id: "grid-likelihood",
  title: "Likelihood that a layer tolerates the faults",
  applies: (c) => c.kind === "grid" && (c.likelihood || []).length > 0,
  build(cs) {
    const entries = [], rows = [], cols = [], rowsAxis = [];
    for (const c of cs) {
      const ls = c.likelihood.map((l) => {
        const v = Object.fromEntries(l.point.split(" ").map((kv) => kv.split("=")));
        return { ...l, mode: v.mode, domain: v.domain, layer: Number(v.layer), n: Number(v.faults) };
      });
      const top = Math.max(...ls.map((l) => l.n));
      for (const l of ls) {
        rows.push([c.name, l.mode, l.domain, l.layer, l.n, l.trials, l.tolerated, l.likelihood, l.lo, l.hi, l.entropy]);
        if (l.n !== top) continue;
        const col = (cs.length > 1 ? c.name + "\n" : "") + l.mode.toUpperCase() + " " + l.domain;
        if (!cols.includes(col)) cols.push(col);
        if (!rowsAxis.includes("layer " + l.layer)) rowsAxis.push("layer " + l.layer);
        entries.push({ col, row: "layer " + l.layer, l });
      }
    }
    rowsAxis.sort((a, b) => Number(a.split(" ")[1]) - Number(b.split(" ")[1]));
    scenarioOrder(cols);
    const cells = entries.map((e) => ({ value: [cols.indexOf(e.col), rowsAxis.indexOf(e.row), e.l.likelihood], l: e.l }));
    return {
      option: {
        tooltip: { formatter: (p) => esc(cols[p.value[0]]) + ", " + esc(rowsAxis[p.value[1]]) + ": " + num(p.data.l.likelihood, 3) +
                   " [" + num(p.data.l.lo, 3) + ", " + num(p.data.l.hi, 3) + "], " + p.data.l.tolerated + " of " + p.data.l.trials +
                   " trials tolerated; posterior entropy " + num(p.data.l.entropy, 2) + " nats" },
        grid: { containLabel: true, left: 20, right: 90, bottom: 20 },
        xAxis: { type: "category", data: cols, axisLabel: { interval: 0, lineHeight: 16 } },
        yAxis: { type: "category", data: rowsAxis, inverse: true },
        visualMap: { min: 0, max: 1, calculable: true, orient: "vertical", right: 0, top: "middle", text: ["tolerant", "sensitive"],
                     inRange: { color: ["#b2182b", "#f7f7f7", "#2166ac"] } },
        series: [{ type: "heatmap", data: cells, label: { show: true, formatter: (p) => num(p.value[2], 2) } }],
      },
      note: "Posterior mean of the probability that a trial with the largest fault count in that layer keeps top-1 within 1 point of fault-free (Jeffreys prior; docs/seed002.md); the tooltip and the table give the 95 % interval and the posterior entropy (lower: better known).",
      columns: ["campaign", "mode", "domain", "layer", "faults", "trials", "tolerated", "likelihood", "95% lo", "95% hi", "entropy (nats)"],
      rows,
    };
  },
});
