// The hardening advisor's Pareto set (cnnfi harden, docs/harden.md): memory overhead against the
// predicted residual critical-or-DUE rate, one point per plan, the recommendation marked.
CNNFI.plot({
  id: "pareto",
  title: "Protection: overhead against residual vulnerability",
  applies: () => false,  // drawn from the report's advice, not from one kind of store (see zz-main.js)
  fromAdvice: true,
  build(cs, advice) {
    const colors = { none: "#7f7f7f", tmr: "#1f77b4", secded: "#2ca02c", parity: "#ff7f0e" };
    const series = [];
    for (const scheme of ["none", "tmr", "secded", "parity"]) {
      const pts = advice.pareto.filter((p) => p.scheme === scheme);
      if (!pts.length) continue;
      series.push({ name: scheme === "none" ? "no protection" : scheme, type: "scatter", symbolSize: 9, itemStyle: { color: colors[scheme] },
                    data: pts.map((p) => ({ value: [100 * p.memory_share, p.residual], plan: p.plan })) });
    }
    const r = advice.recommendation;
    if (r) series.push({ name: "recommended", type: "scatter", symbol: "diamond", symbolSize: 16, itemStyle: { color: "#d62728" },
                         data: [{ value: [100 * r.memory_share, r.residual], plan: r.plan }], z: 5 });
    const front = advice.pareto.map((p) => [100 * p.memory_share, p.residual]);
    series.unshift({ name: "Pareto front", type: "line", step: "end", data: front, symbol: "none", lineStyle: { color: "#bbb" }, z: 1 });
    return {
      option: {
        tooltip: { trigger: "item", formatter: (p) => esc(p.seriesName) + (p.data && p.data.plan ? "<br>" + esc(p.data.plan) : "") +
                   "<br>overhead " + num(p.value[0], 2) + " % of the " + esc(advice.what || "weight memory") + "<br>residual " + num(p.value[1], 6) },
        legend: {}, grid: { containLabel: true, left: 50, right: 40 },
        xAxis: { type: "value", name: advice.modules ? "overhead (% of the modules' bits)" : "overhead (% of weight memory)", nameLocation: "middle", nameGap: 28 },
        yAxis: { type: "value", name: "predicted residual rate", nameLocation: "middle", nameGap: 50 },
        series,
      },
      note: "Each point is a plan on the Pareto set (no plan is both cheaper and less vulnerable); residual rate: critical-or-DUE outcomes per fault (uniform over the " + (advice.what || "weight memory") + ") and image, predicted for single-bit faults from " +
            advice.stores.join(", ") + ". " + (advice.modules ? "Modules (bits per forward pass, per-fault critical-or-DUE probability c): " +
            advice.modules.map((m) => m.module + " " + m.bits.toLocaleString("en") + (m.c === null ? " unmeasured" : " c=" + num(m.c, 4))).join(", ") :
            "Memory " + advice.memory) + ". cnnfi harden --verify measures a plan in a campaign.",
      columns: ["scheme", "plan", "overhead bits", "overhead", "share of memory", "residual", "removed"],
      rows: advice.pareto.map((p) => [p.scheme, p.plan, p.overhead_bits, p.overhead, p.memory_share, p.residual, p.removed]),
    };
  },
});
