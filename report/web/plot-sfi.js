// Seed-004 estimates (exhaustive and sfi campaigns): critical rate per layer and per bit with
// its error margin, and the number of faults injected per layer against the population.
function estimatePlot(id, title, key, label) {
  CNNFI.plot({
    id, title,
    applies: (c) => c.estimates && c.estimates[key].length > 0,
    build(cs) {
      const series = [], rows = [];
      const cats = [...new Set(cs.flatMap((c) => c.estimates[key].map((r) => String(r[label]))))];
      cs.forEach((c) => {
        const by = Object.fromEntries(c.estimates[key].map((r) => [String(r[label]), r]));
        series.push({ name: c.name, type: "bar", data: cats.map((k) => (by[k] ? by[k].p : null)) });
        series.push(errorBars(cats.map((k, i) => (by[k] ? [i, by[k].lo, by[k].hi] : [i, null, null])), "#000", c.name + " interval"));
        series.push({ name: c.name + " injected n", type: "line", yAxisIndex: 1, data: cats.map((k) => (by[k] ? by[k].n : null)) });
        for (const k of cats) if (by[k]) rows.push([c.name, k, by[k].N, by[k].n, by[k].p, by[k].margin, by[k].lo, by[k].hi]);
      });
      return {
        option: { tooltip: { trigger: "axis" }, legend: {}, grid: { bottom: 110 },
                  xAxis: { type: "category", data: cats, axisLabel: { rotate: 60 } },
                  yAxis: [{ type: "value", name: "critical rate" }, { type: "log", name: "faults injected (n)" }], series },
        note: "Bars: critical rate; whiskers: its confidence interval at the campaign's t (" +
              (cs[0].estimates.interval_method || "") + "; none where injected exhaustively), within [0, 1]; line: n." +
              cs.filter((c) => c.estimates.missed > 0).map((c) => " " + c.name + ": " + c.estimates.missed +
                " strata missed the requested margin " + c.estimates.requested_error + " (cnnfi estimate --strata lists them).").join(""),
        columns: ["campaign", label, "N", "n", "p", "margin", "low", "high"],
        rows,
      };
    },
  });
}
estimatePlot("sfi-layers", "Critical rate per layer with error margins", "layers", "name");
estimatePlot("sfi-bits", "Critical rate per bit with error margins", "bits", "bit");
