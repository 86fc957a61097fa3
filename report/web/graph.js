// The network graph: one node per ONNX node, laid out as a layered DAG by dagre and drawn by
// ECharts (zoom and pan with the mouse). Nodes that read a weight are coloured by the chosen
// campaign's per-layer vulnerability on a continuous legend scale; tooltips give the numbers.
function drawGraph(container, graph, campaigns) {
  const sources = campaigns.filter((c) => Object.keys(c.vulnerability.layers).length > 0);
  const pick = el("select", { id: "graph-source" });
  sources.forEach((c, i) => pick.append(el("option", { value: String(i), text: c.name + " (" + c.vulnerability.metric + ")" })));
  if (sources.length) container.append(el("label", { text: "Colour by: " }, pick));
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 18, ranksep: 26 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) g.setNode(String(n.id), { width: Math.max(70, 7 * n.op.length + 20), height: 26 });
  for (const [a, b] of graph.edges) g.setEdge(String(a), String(b));
  dagre.layout(g);
  const chart = makeChart(container, "network-graph-" + CNNFI.selftest.graphs.length, { series: [] });
  chart.getDom().style.height = Math.min(1400, Math.max(500, g.graph().height * 0.6)) + "px";
  chart.resize();
  function render() {
    const c = sources[Number(pick.value || 0)];
    const vals = c ? c.vulnerability.layers : {};
    const valueOf = (n) => { const w = n.weights.find((x) => x in vals); return w === undefined ? null : vals[w]; };
    const known = graph.nodes.map(valueOf).filter((v) => v != null);
    const lo = known.length ? Math.min(...known) : 0, hi = known.length ? Math.max(...known) : 1;
    chart.setOption({
      tooltip: { formatter: (p) => {
        if (p.dataType !== "node") return "";
        const n = graph.nodes[p.dataIndex], v = valueOf(n);
        return "<b>" + esc(n.name) + "</b> (" + esc(n.op) + ")" + (n.weights.length ? "<br>weights: " + esc(n.weights.join(", ")) : "") +
               (v != null ? "<br>" + esc(c.vulnerability.metric) + ": " + num(v, 6) : "");
      } },
      visualMap: known.length ? { type: "continuous", min: lo, max: hi === lo ? lo + 1e-9 : hi, dimension: 2, seriesIndex: 0,
                                  text: ["more vulnerable", "less"], calculable: true, inRange: { color: ["#fee8c8", "#fdbb84", "#e34a33", "#7f0000"] },
                                  left: 10, top: 10 } : undefined,
      series: [{
        type: "graph", layout: "none", roam: true, symbol: "roundRect", edgeSymbol: ["none", "arrow"], edgeSymbolSize: 6,
        label: { show: true, formatter: (p) => graph.nodes[p.dataIndex].op, fontSize: 10 },
        data: graph.nodes.map((n) => {
          const p = g.node(String(n.id)), v = valueOf(n);
          return { name: String(n.id), x: p.x, y: p.y, value: [p.x, p.y, v == null ? NaN : v], symbolSize: [p.width * 0.8, p.height * 0.8],
                   itemStyle: v == null ? { color: "#e0e0e0", borderColor: "#888", borderWidth: 1 } : { borderColor: "#333", borderWidth: 1 } };
        }),
        links: graph.edges.map(([a, b]) => ({ source: String(a), target: String(b) })),
        lineStyle: { color: "#888" },
      }],
    }, true);
  }
  pick.onchange = render;
  render();
  CNNFI.selftest.graphs.push({ nodes: graph.nodes.length, edges: graph.edges.length,
                           drawn: chart.getOption().series[0].data.length, links: chart.getOption().series[0].links.length });
}
