// The network graph: one box per ONNX node, named by the node (op type below), laid out as a
// layered DAG by dagre and drawn as plain SVG, so that boxes, text and edges scale together and
// never overlap. Nodes that read a weight are coloured by the chosen campaign's per-layer
// vulnerability on a sequential scale shown beside the graph; weighted nodes the campaign did not
// measure are hatched grey. Fitted to the width on load; "Actual size" and "Fit" switch zoom.
const SVG_NS = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text != null) e.textContent = text;
  return e;
}
const VULN_STOPS = [[255, 247, 188], [254, 196, 79], [236, 112, 20], [153, 52, 4], [80, 20, 0]];
function vulnColor(t) {
  const x = Math.min(1, Math.max(0, t)) * (VULN_STOPS.length - 1), i = Math.min(VULN_STOPS.length - 2, Math.floor(x)), f = x - i;
  const c = VULN_STOPS[i].map((a, k) => Math.round(a + (VULN_STOPS[i + 1][k] - a) * f));
  return "rgb(" + c.join(",") + ")";
}

function drawGraph(container, graph, campaigns) {
  const sources = campaigns.filter((c) => Object.keys(c.vulnerability.layers).length > 0);
  const controls = el("div", { class: "graph-controls" });
  const pick = el("select", { id: "graph-source" });
  sources.forEach((c, i) => pick.append(el("option", { value: String(i), text: c.name + " (" + c.vulnerability.metric + ")" })));
  if (sources.length) controls.append(el("label", { text: "Colour by: " }, pick));
  const fitBtn = el("button", { text: "Fit whole graph" }), fullBtn = el("button", { text: "Actual size" });
  controls.append(fitBtn, fullBtn);
  const legend = el("div", { class: "graph-legend" });
  controls.append(legend);
  container.append(controls);
  const box = el("div", { class: "graph-box" });
  container.append(box);

  const charW = 6.4, pad = 14;
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 16, ranksep: 22, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes)
    g.setNode(String(n.id), { width: Math.max(n.name.length, n.op.length + 2) * charW + pad, height: 34 });
  for (const [a, b] of graph.edges) g.setEdge(String(a), String(b));
  dagre.layout(g);
  const W = Math.ceil(g.graph().width), H = Math.ceil(g.graph().height);
  const root = svg("svg", { viewBox: "0 0 " + W + " " + H, class: "network", role: "img" });
  const defs = svg("defs");
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 8 8", refX: 8, refY: 4, markerWidth: 6, markerHeight: 6, orient: "auto" });
  marker.append(svg("path", { d: "M0,0 L8,4 L0,8 z", fill: "#777" }));
  const hatch = svg("pattern", { id: "unmeasured", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
  hatch.append(svg("rect", { width: 6, height: 6, fill: "#eee" }), svg("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#bbb", "stroke-width": 2 }));
  defs.append(marker, hatch);
  root.append(defs);
  const edges = svg("g", { class: "edges" });
  for (const e of g.edges()) {
    const pts = g.edge(e).points;
    edges.append(svg("path", { d: "M" + pts.map((p) => p.x.toFixed(1) + "," + p.y.toFixed(1)).join(" L"), fill: "none", stroke: "#999",
                               "stroke-width": 1, "marker-end": "url(#arrow)" }));
  }
  root.append(edges);
  const nodes = svg("g", { class: "nodes" });
  const shapes = [];
  for (const n of graph.nodes) {
    const p = g.node(String(n.id));
    const grp = svg("g", { transform: "translate(" + (p.x - p.width / 2).toFixed(1) + "," + (p.y - p.height / 2).toFixed(1) + ")" });
    const title = svg("title");
    const rect = svg("rect", { width: p.width, height: p.height, rx: 5, stroke: "#555", "stroke-width": 1 });
    const name = svg("text", { x: p.width / 2, y: 14, "text-anchor": "middle", class: "node-name" }, n.name);
    const op = svg("text", { x: p.width / 2, y: 27, "text-anchor": "middle", class: "node-op" }, n.op);
    grp.append(title, rect, name, op);
    nodes.append(grp);
    shapes.push({ n, rect, name, op, title, box: [p.x - p.width / 2, p.y - p.height / 2, p.width, p.height] });
  }
  root.append(nodes);
  box.append(root);

  let fitAll = false;
  function zoom() {
    const avail = Math.max(300, box.clientWidth - 4);
    const s = fitAll ? Math.min(avail / W, 860 / H, 1) : Math.min(1, avail / W);
    root.setAttribute("width", (W * s).toFixed(0));
    root.setAttribute("height", (H * s).toFixed(0));
  }
  fitBtn.onclick = () => { fitAll = true; zoom(); };
  fullBtn.onclick = () => { fitAll = false; root.setAttribute("width", W); root.setAttribute("height", H); };

  let colored = 0;
  function render() {
    const c = sources[Number(pick.value || 0)];
    const vals = c ? c.vulnerability.layers : {};
    const valueOf = (n) => { const w = n.weights.find((x) => x in vals); return w === undefined ? null : vals[w]; };
    const known = graph.nodes.map(valueOf).filter((v) => v != null);
    const lo = known.length ? Math.min(0, ...known) : 0, hi = known.length ? Math.max(...known) : 1;
    colored = 0;
    for (const s of shapes) {
      const v = valueOf(s.n);
      const t = v == null ? 0 : (v - lo) / (hi - lo || 1);
      const fill = v != null ? vulnColor(t) : s.n.weights.length ? "url(#unmeasured)" : "#fff";
      if (v != null) ++colored;
      s.rect.setAttribute("fill", fill);
      const ink = v != null && t > 0.55 ? "#fff" : "#222";
      s.name.setAttribute("fill", ink);
      s.op.setAttribute("fill", v != null && t > 0.55 ? "#f3e3d3" : "#666");
      s.title.textContent = s.n.name + " (" + s.n.op + ")" + (s.n.weights.length ? "\nweights: " + s.n.weights.join(", ") : "") +
        (v != null ? "\n" + c.vulnerability.metric + ": " + num(v, 6) : s.n.weights.length && c ? "\nnot measured by " + c.name : "");
    }
    legend.replaceChildren();
    if (c) {
      const bar = el("span", { class: "legend-bar", style: "background:linear-gradient(to right," + [0, 0.25, 0.5, 0.75, 1].map(vulnColor).join(",") + ")" });
      legend.append(el("span", { text: c.vulnerability.metric + ": " + num(lo, 3) + " " }), bar, el("span", { text: " " + num(hi, 3) + " (more vulnerable)" }),
                    el("span", { class: "legend-unmeasured", text: "not measured" }));
    } else {
      legend.append(el("span", { class: "note", text: "No campaign here measures layers (run a layer-wise, exhaustive or sfi campaign to colour the graph)." }));
    }
  }
  pick.onchange = render;
  render();
  zoom();
  // No two boxes may overlap (checked here, reported to the tests).
  let overlaps = 0;
  for (let i = 0; i < shapes.length; ++i)
    for (let j = i + 1; j < shapes.length; ++j) {
      const [ax, ay, aw, ah] = shapes[i].box, [bx, by, bw, bh] = shapes[j].box;
      if (ax < bx + bw && bx < ax + aw && ay < by + bh && by < ay + ah) ++overlaps;
    }
  CNNFI.selftest.graphs.push({ nodes: graph.nodes.length, edges: graph.edges.length, drawn: shapes.length,
                               links: edges.childNodes.length, colored, overlaps, width: W, height: H });
}
