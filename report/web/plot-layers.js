// Layer-wise resilience (seed 000 Fig. 3): mean top-1 per layer with std error bars and a
// min/max fill.
CNNFI.plot({
  id: "layer-wise",
  title: "Accuracy with faults in one layer at a time",
  applies: (c) => c.kind === "layer-wise",
  build(cs) {
    const series = [], rows = [];
    const layers = [...new Set(cs.flatMap((c) => c.points.map((p) => p.point.replace(/^layer=/, ""))))];
    cs.forEach((c, k) => {
      const by = Object.fromEntries(c.points.map((p) => [p.point.replace(/^layer=/, ""), p]));
      const xy = (f) => layers.map((l, i) => [i, by[l] && by[l].finished ? clamp01(f(by[l].top1)) : null]);
      series.push(bandSeries(c.name + " min–max", xy((s) => s.min), xy((s) => s.max), "#999", 0.25));
      const color = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"][k % 4];
      series.push({ name: c.name, type: "line", data: xy((s) => s.mean), symbolSize: 7, itemStyle: { color }, z: 3 });
      series.push({
        name: c.name, type: "custom", data: xy((s) => s.mean).map(([i, m]) => [i, clamp01(m - (by[layers[i]] ? by[layers[i]].top1.std : 0)), clamp01(m + (by[layers[i]] ? by[layers[i]].top1.std : 0))]),
        renderItem(params, api) {
          const lo = api.coord([api.value(0), api.value(1)]), hi = api.coord([api.value(0), api.value(2)]);
          return { type: "group", children: [
            { type: "line", shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: { stroke: "#333" } },
            { type: "line", shape: { x1: lo[0] - 4, y1: lo[1], x2: lo[0] + 4, y2: lo[1] }, style: { stroke: "#333" } },
            { type: "line", shape: { x1: hi[0] - 4, y1: hi[1], x2: hi[0] + 4, y2: hi[1] }, style: { stroke: "#333" } } ] };
        },
        tooltip: { show: false },
      });
      series.push({ name: c.name + " DUE rate", type: "line", symbol: "triangle", symbolSize: 7, itemStyle: { color: OUTCOME_COLORS.due },
                    lineStyle: { type: "dotted" }, data: layers.map((l, i) => [i, by[l] && by[l].finished ? by[l].due : null]) });
      for (const l of layers) if (by[l]) rows.push([c.name, l, by[l].finished, by[l].top1.mean, by[l].top1.std, by[l].top1.min, by[l].top1.max, c.golden_top1 - by[l].top1.mean, by[l].due]);
    });
    return {
      option: {
        tooltip: { trigger: "axis" }, legend: {}, grid: { containLabel: true, left: 40, right: 40, bottom: 10 },
        xAxis: { type: "category", data: layers, axisLabel: { rotate: 45, interval: 0, fontSize: 10 } }, yAxis: { type: "value", name: "top-1 / DUE rate", min: 0, max: 1 },
        series: series.map((s) => (s.type === "line" ? { ...s, data: s.data.map(([, y]) => y) } : s)),
      },
      note: "Line: mean top-1 over repetitions; error bars: ± std and grey fill: min–max, clipped to [0, 1]; dotted purple: DUE rate.",
      columns: ["campaign", "layer", "repetitions", "top1 mean", "top1 std", "top1 min", "top1 max", "accuracy drop", "due rate"],
      rows,
    };
  },
});
