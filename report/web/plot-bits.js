// Bit position vs accuracy (seed 000 Fig. 2): bars coloured by the field of the bit (sign,
// exponent, mantissa; sign, integer, fraction for fixed point), one bar set per campaign.
CNNFI.plot({
  id: "bit-position",
  title: "Accuracy by bit position",
  applies: (c) => c.kind === "bit-sweep",
  build(cs) {
    const series = [], rows = [];
    const bits = [...new Set(cs.flatMap((c) => c.points.map((p) => p.x)))].sort((a, b) => a - b);
    cs.forEach((c) => {
      const by = Object.fromEntries(c.points.map((p) => [p.x, p]));
      series.push({
        name: c.name, type: "bar",
        data: bits.map((b) => ({ value: by[b] && by[b].finished ? by[b].top1.mean : null,
                                 itemStyle: { color: FIELD_COLORS[c.field_of_bit[String(b)] || ""] } })),
      });
      series.push({ name: c.name + " critical rate", type: "line", yAxisIndex: 0, itemStyle: { color: OUTCOME_COLORS.critical },
                    data: bits.map((b) => (by[b] ? by[b].critical : null)) });
      series.push({ name: c.name + " DUE rate", type: "line", yAxisIndex: 0, symbol: "triangle", symbolSize: 8,
                    itemStyle: { color: OUTCOME_COLORS.due }, lineStyle: { type: "dotted" },
                    data: bits.map((b) => (by[b] ? by[b].due : null)) });
      for (const b of bits) if (by[b]) rows.push([c.name, b, c.field_of_bit[String(b)], by[b].finished, by[b].top1.mean, by[b].top1.std, by[b].top1.min, by[b].top1.max, by[b].critical, by[b].due]);
    });
    return {
      option: {
        tooltip: { trigger: "axis" }, legend: {}, grid: { containLabel: true, left: 40, right: 40 },
        xAxis: { type: "category", name: "bit", data: bits.map(String) }, yAxis: { type: "value", name: "top-1 / rate", min: 0, max: 1 },
        series,
      },
      note: "Bars: mean top-1 accuracy, coloured by field: sign (red), exponent or integer (orange), mantissa or fraction (blue). A bar at 0 with the DUE line (purple triangles) at 1: every inference gave a non-finite output. Red line: critical rate.",
      columns: ["campaign", "bit", "field", "repetitions", "top1 mean", "top1 std", "top1 min", "top1 max", "critical rate", "due rate"],
      rows,
    };
  },
});
