// Seed 003 Fig. 3: accuracy against the fault rate (faults per inference / vulnerable bits of
// the module set, eq. 3.1), so that module sets of different sizes compare at equal rate.
CNNFI.plot({
  id: "upsets-vs-rate",
  title: "Accuracy vs fault rate per module (integer model)",
  applies: (c) => c.kind === "quantized",
  build(cs) {
    const series = [], rows = [];
    const palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"];
    let k = 0;
    for (const c of cs)
      for (const [set, qs] of Object.entries(quantizedSets(c))) {
        const color = palette[k++ % palette.length];
        const name = (cs.length > 1 ? c.name + " " : "") + set;
        const pts = qs.filter((q) => q.n > 0 && q.rate);
        series.push({ name, type: "line", itemStyle: { color }, symbolSize: 6, z: 3, data: pts.map((q) => [q.rate, q.p.top1.mean]) });
        series.push(errorBars(pts.map((q) => [q.rate, Math.max(0, q.p.top1.mean - q.p.top1.ci), Math.min(1, q.p.top1.mean + q.p.top1.ci)]), color, name));
        for (const q of pts) rows.push([c.name, set, q.rate, q.n, q.p.top1.mean, q.p.top1.ci]);
      }
    return {
      option: {
        tooltip: { trigger: "axis" }, legend: { type: "scroll" },
        xAxis: { type: "log", name: "fault rate (faults / vulnerable bits)" },
        yAxis: { type: "value", name: "top-1 accuracy", min: 0, max: 1 },
        series,
      },
      note: "Fault rate of eq. 3.1; at equal rate, the 32-bit modules (b32, o32) are to be compared with the 8-bit ones (i8, w8, o8). Whiskers: 95 % confidence intervals.",
      columns: ["campaign", "modules", "fault rate", "faults per inference", "top1 mean", "top1 ci95"],
      rows,
    };
  },
});
