// Regression models (cnnfi report --fit FORMULA, cnnfi fit): the coefficient table as the seeds
// print theirs (estimate, standard error, t, p with * < .05 and ** < .01), and the model's fit.
function buildFits(data) {
  const s = el("section", { class: "fits", id: "fits" }, el("h2", { text: "Regression models" }));
  for (const f of data.fits) {
    const sig = (p) => (p == null ? "" : p < 0.01 ? "**" : p < 0.05 ? "*" : "");
    const g = (x, d) => (x == null ? "—" : Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x !== 0) ? Number(x).toExponential(d - 1) : Number(x).toFixed(d));
    const t = el("table", { class: "fit" });
    t.append(el("tr", {}, ...["term", "estimate", "std. error", "t value", "p", ""].map((h) => el("th", { text: h }))));
    for (const c of f.terms)
      t.append(el("tr", {}, el("td", { text: c.term }), el("td", { class: "num", text: g(c.estimate, 4) }),
                  el("td", { class: "num", text: g(c.std_error, 4) }), el("td", { class: "num", text: g(c.t, 3) }),
                  el("td", { class: "num", text: c.p == null ? "—" : c.p < 1e-4 ? "< 0.0001" : c.p.toFixed(4) }),
                  el("td", { text: sig(c.p) })));
    const coding = Object.entries(f.factors || {}).map(([k, v]) => k + " (reference " + v[0] + "; levels " + v.join(", ") + ")");
    s.append(el("h3", { text: f.formula }),
             el("p", { class: "fit-stats", text: "n = " + f.n + ", adjusted R² = " + num(f.adj_r2, 3) + " (R² " + num(f.r2, 3) +
               "), F = " + (f.f == null ? "∞" : g(f.f, 4)) + " on " + f.f_df1 + " and " + f.df_residual + " degrees of freedom, p " +
               (f.f_p < 1e-4 ? "< 0.0001" : "= " + f.f_p.toFixed(4)) + "." }),
             t,
             el("p", { class: "note", text: "Ordinary least squares over one row per trial of " + f.inputs.join(", ") +
               ". " + (coding.length ? "Factors, treatment contrasts: " + coding.join("; ") + ". " : "") +
               "** p < 0.01, * p < 0.05. Also: cnnfi fit '" + f.formula + "' STORES --json FILE." }));
  }
  return s;
}
