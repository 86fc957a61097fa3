// Outcome breakdown (masked / tolerable SDC / critical SDC / DUE) per layer and per bit, for
// campaigns whose trials each inject one fault (single, exhaustive, sfi). Rates over
// (fault, image) pairs.
function outcomePlot(id, title, key, label) {
  CNNFI.plot({
    id, title,
    applies: (c) => ["single", "exhaustive", "sfi"].includes(c.kind) && c[key].length > 0,
    build(cs) {
      const cats = [], rows = [];
      const series = [];
      for (const c of cs) for (const r of c[key]) cats.push((cs.length > 1 ? c.name + " " : "") + String(r[label]));
      for (const o of ["masked", "tolerable", "critical", "due"])
        series.push({ name: o, type: "bar", stack: "o", itemStyle: { color: OUTCOME_COLORS[o] },
                      data: cs.flatMap((c) => c[key].map((r) => r[o])) });
      for (const c of cs) for (const r of c[key]) rows.push([c.name, r[label], r.faults, r.pairs, r.masked, r.tolerable, r.critical, r.due]);
      return {
        option: { tooltip: { trigger: "axis" }, legend: {}, grid: { bottom: 110 },
                  xAxis: { type: "category", data: cats, axisLabel: { rotate: 60 } },
                  yAxis: { type: "value", name: "share of (fault, image) pairs", min: 0, max: 1 }, series },
        columns: ["campaign", label, "faults", "pairs", "masked", "tolerable", "critical", "due"],
        rows,
      };
    },
  });
}
outcomePlot("outcomes-by-layer", "Outcomes per layer", "by_layer", "layer");
outcomePlot("outcomes-by-bit", "Outcomes per bit", "by_bit", "bit");
