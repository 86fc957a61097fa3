// Accuracy vs number of faults (seed 000 Fig. 1): mean with a std band and the min/max envelope,
// top-1 and top-5, one set of series per incremental campaign (several = side by side).
CNNFI.plot({
  id: "accuracy-vs-faults",
  title: "Accuracy vs number of faults",
  applies: (c) => c.kind === "incremental" || c.kind === "over-time",
  build(cs) {
    const series = [], rows = [], legend = [];
    const xs = [...new Set(cs.flatMap((c) => c.points.map((p) => p.x)))].sort((a, b) => a - b);
    const palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b"];
    cs.forEach((c, k) => {
      const pts = c.points.filter((p) => p.finished > 0);
      for (const m of ["top1", "top5"]) {
        const name = c.name + " " + (m === "top1" ? "top-1" : "top-5");
        const color = palette[k % palette.length];
        const xy = (f) => pts.map((p) => [xs.indexOf(p.x), clamp01(f(p[m]))]);
        series.push(bandSeries(name, xy((s) => s.min), xy((s) => s.max), color, 0.08));
        series.push(bandSeries(name, xy((s) => s.mean - s.std), xy((s) => s.mean + s.std), color, 0.2));
        series.push({ name, type: "line", data: xy((s) => s.mean), symbolSize: 6, z: 3, itemStyle: { color },
                      lineStyle: { type: m === "top5" ? "dashed" : "solid" } });
        legend.push(name);
      }
      const due = c.name + " DUE rate";
      series.push({ name: due, type: "line", data: pts.map((p) => [xs.indexOf(p.x), p.due]), symbol: "triangle", symbolSize: 7, z: 3,
                    itemStyle: { color: OUTCOME_COLORS.due }, lineStyle: { type: "dotted", color: OUTCOME_COLORS.due } });
      legend.push(due);
      for (const p of pts) rows.push([c.name, p.x, p.finished, p.top1.mean, p.top1.std, p.top1.min, p.top1.max, p.top1.ci, p.top5.mean, p.due]);
    });
    return {
      option: {
        tooltip: { trigger: "axis" }, legend: { type: "scroll", data: legend },
        xAxis: { type: "category", name: "faults", data: xs.map(String), boundaryGap: false },
        yAxis: { type: "value", name: "accuracy / DUE rate", min: 0, max: 1 },
        series,
      },
      note: "Line: mean over repetitions (solid top-1, dashed top-5); band: mean ± std, light band: min–max, both clipped to [0, 1]; dotted purple: share of inferences that are DUE (non-finite output or a detected error).",
      columns: ["campaign", "faults", "repetitions", "top1 mean", "top1 std", "top1 min", "top1 max", "top1 ci95", "top5 mean", "due rate"],
      rows,
    };
  },
});
