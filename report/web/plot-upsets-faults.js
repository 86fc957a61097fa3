// Seed 003 Fig. 2: accuracy against faults per inference in the integer model, one line per
// module set of each quantised campaign, with 95 % confidence intervals over repetitions.
CNNFI.plot({
  id: "upsets-vs-faults",
  title: "Accuracy vs faults per inference (integer model)",
  applies: (c) => c.kind === "quantized",
  build(cs) {
    const series = [], rows = [];
    const ns = [...new Set(cs.flatMap((c) => Object.values(quantizedSets(c)).flat().map((q) => q.n)))].sort((a, b) => a - b);
    const palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"];
    let k = 0;
    for (const c of cs)
      for (const [set, qs] of Object.entries(quantizedSets(c))) {
        const color = palette[k++ % palette.length];
        const name = (cs.length > 1 ? c.name + " " : "") + set;
        series.push({ name, type: "line", itemStyle: { color }, symbolSize: 6, z: 3,
                      data: qs.map((q) => [ns.indexOf(q.n), q.p.top1.mean]) });
        series.push(errorBars(qs.map((q) => [ns.indexOf(q.n), Math.max(0, q.p.top1.mean - q.p.top1.ci), Math.min(1, q.p.top1.mean + q.p.top1.ci)]), color, name));
        for (const q of qs) rows.push([c.name, set, q.n, q.rate, q.p.finished, q.p.top1.mean, q.p.top1.ci, q.p.critical, q.p.due]);
      }
    return {
      option: {
        tooltip: { trigger: "axis" }, legend: { type: "scroll" },
        xAxis: { type: "category", name: "faults per inference", data: ns.map(String) },
        yAxis: { type: "value", name: "top-1 accuracy", min: 0, max: 1 },
        series,
      },
      note: "One line per module set (all modules, or one at a time); whiskers: 95 % confidence interval of the mean over repetitions.",
      columns: ["campaign", "modules", "faults per inference", "fault rate", "repetitions", "top1 mean", "top1 ci95", "critical", "due"],
      rows,
    };
  },
});
