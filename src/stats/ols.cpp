#include "stats/ols.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>

#include <Eigen/Dense>
#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/strings.h"

namespace cnnfi::stats {

size_t Table::index(const std::string& name) const {
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) fail("{}: no column '{}'; the columns are: {}", source, name, join(names, ", "));
  return static_cast<size_t>(it - names.begin());
}

void Table::add(const std::string& name, std::vector<std::string> values) {
  if (!columns.empty() && static_cast<int64_t>(values.size()) != rows())
    fail("{}: column '{}' has {} rows, the others {}", source, name, values.size(), rows());
  names.push_back(name);
  columns.push_back(std::move(values));
}

namespace {

std::vector<std::string> split_csv_line(const std::string& line, const std::string& where) {
  std::vector<std::string> out;
  std::string cell;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') cell += '"', ++i;
      else if (c == '"') quoted = false;
      else cell += c;
    } else if (c == '"' && trim(cell).empty()) {
      quoted = was_quoted = true;
      cell.clear();
    } else if (c == ',') {
      out.push_back(was_quoted ? cell : trim(cell));
      cell.clear();
      was_quoted = false;
    } else if (c != '\r') {
      cell += c;
    }
  }
  if (quoted) fail("{}: a quoted cell is not closed", where);
  out.push_back(was_quoted ? cell : trim(cell));
  return out;
}

bool number(const std::string& s, double& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(v);
}

}  // namespace

Table read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("{}: cannot open the CSV file", path);
  Table t;
  t.source = path;
  std::string line;
  int64_t lineno = 0;
  std::vector<std::vector<std::string>> cols;
  while (std::getline(in, line)) {
    ++lineno;
    if (trim(line).empty() || line[0] == '#') continue;
    const auto cells = split_csv_line(line, fmt::format("{}:{}", path, lineno));
    if (t.names.empty()) {
      std::set<std::string> seen;
      for (const auto& c : cells) {
        if (c.empty()) fail("{}:{}: an empty column name", path, lineno);
        if (!seen.insert(c).second) fail("{}:{}: column '{}' appears twice", path, lineno, c);
      }
      t.names = cells;
      cols.assign(cells.size(), {});
      continue;
    }
    if (cells.size() != t.names.size())
      fail("{}:{}: {} cells, the header has {}", path, lineno, cells.size(), t.names.size());
    if (lineno > 50'000'000) fail("{}: more than 50,000,000 lines", path);
    for (size_t i = 0; i < cells.size(); ++i) cols[i].push_back(cells[i]);
  }
  if (t.names.empty()) fail("{}: no header row", path);
  t.columns = std::move(cols);
  return t;
}

namespace {

using Real = long double;
using Mat = Eigen::Matrix<Real, Eigen::Dynamic, Eigen::Dynamic>;
using Vec = Eigen::Matrix<Real, Eigen::Dynamic, 1>;

/// One atom's columns: a numeric column (one) or a factor's treatment contrasts.
struct AtomColumns {
  std::vector<std::string> names;         ///< suffixes: "" (numeric) or the level
  std::vector<std::vector<double>> values;  ///< [column][row]
};

/// The most cells (rows x columns) a design may have: 2e7 cells are 320 MB in extended precision.
constexpr double kMaxCells = 2e7;
/// The most n p^2 a fit may cost (QR of the design).
constexpr double kMaxWork = 5e10;

double ipow(double x, int k) {
  double r = 1;
  for (int i = 0; i < k; ++i) r *= x;
  return r;
}

}  // namespace

FitResult fit(const Formula& f, const Table& t) {
  FitResult out;
  out.formula = f.text;
  out.response = f.response;
  // Columns used, and the rows where all of them are present.
  std::vector<size_t> used = {t.index(f.response)};
  for (const auto& term : f.terms)
    for (const auto& a : term) used.push_back(t.index(a.column));
  std::vector<int64_t> rows;
  for (int64_t r = 0; r < t.rows(); ++r)
    if (std::all_of(used.begin(), used.end(), [&](size_t c) { return !t.columns[c][static_cast<size_t>(r)].empty(); }))
      rows.push_back(r);
  const auto n = static_cast<int64_t>(rows.size());
  out.n = n;
  // The response must be numeric.
  Vec y(n);
  {
    const auto& col = t.columns[t.index(f.response)];
    for (int64_t i = 0; i < n; ++i) {
      double v = 0;
      if (!number(col[static_cast<size_t>(rows[static_cast<size_t>(i)])], v))
        fail("{}: response '{}' row {}: '{}' is not a finite number", t.source, f.response, rows[static_cast<size_t>(i)] + 1,
             col[static_cast<size_t>(rows[static_cast<size_t>(i)])]);
      y(i) = v;
    }
  }
  // Each atom's columns.
  auto atom_columns = [&](const Atom& a) {
    const auto& col = t.columns[t.index(a.column)];
    AtomColumns ac;
    bool numeric = !a.factor;
    std::vector<double> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n && numeric; ++i) numeric = number(col[static_cast<size_t>(rows[static_cast<size_t>(i)])], v[static_cast<size_t>(i)]);
    // A number that is not finite (nan, inf) is refused, not taken for a factor level.
    if (!a.factor)
      for (int64_t r : rows) {
        const std::string& cell = col[static_cast<size_t>(r)];
        char* end = nullptr;
        const double x = std::strtod(cell.c_str(), &end);
        if (end == cell.c_str() + cell.size() && !std::isfinite(x))
          fail("{}: column '{}' row {}: '{}' is not a finite number", t.source, a.column, r + 1, cell);
      }
    if (numeric) {
      for (auto& x : v) x = ipow(x, a.power);
      ac.names.push_back("");
      ac.values.push_back(std::move(v));
      return ac;
    }
    if (a.power != 1) fail("{}: I({}^{}): column '{}' is not numeric", t.source, a.column, a.power, a.column);
    // Levels: numbers numerically when all are numbers, else as text.
    std::vector<std::string> levels;
    for (auto r : rows) levels.push_back(col[static_cast<size_t>(r)]);
    std::sort(levels.begin(), levels.end());
    levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
    bool all_numbers = true;
    for (const auto& l : levels) {
      double d;
      all_numbers = all_numbers && number(l, d);
    }
    if (all_numbers)
      std::sort(levels.begin(), levels.end(), [](const std::string& x, const std::string& y) { return std::stod(x) < std::stod(y); });
    if (levels.size() > 1000) fail("{}: factor '{}' has {} levels; at most 1000", t.source, a.column, levels.size());
    if (levels.size() < 2)
      fail("{}: factor '{}' has one level ('{}') on the {} rows used: its effect cannot be estimated; leave it out",
           t.source, a.name(), levels.empty() ? "" : levels[0], n);
    if (static_cast<double>(n) * static_cast<double>(levels.size() - 1) > kMaxCells)
      fail("{}: factor '{}' has {} levels over {} rows: {:.0f} contrast cells, more than the {:.0f} a fit may build", t.source,
           a.name(), levels.size(), n, static_cast<double>(n) * static_cast<double>(levels.size() - 1), kMaxCells);
    out.factors[a.name()] = levels;
    for (size_t l = 1; l < levels.size(); ++l) {
      std::vector<double> d(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) d[static_cast<size_t>(i)] = col[static_cast<size_t>(rows[static_cast<size_t>(i)])] == levels[l];
      ac.names.push_back(levels[l]);
      ac.values.push_back(std::move(d));
    }
    return ac;
  };
  // The design's size is known from each atom's columns before any product is built: refused,
  // naming the term that passes the limit, before it is allocated.
  std::map<std::string, AtomColumns> atoms;
  double columns = f.intercept ? 1 : 0;
  for (const auto& term : f.terms) {
    double c = 1;
    for (const auto& a : term) {
      auto it = atoms.find(a.name());
      if (it == atoms.end()) it = atoms.emplace(a.name(), atom_columns(a)).first;
      c *= static_cast<double>(it->second.names.size());
    }
    columns += c;
    if (static_cast<double>(n) * columns > kMaxCells)
      fail("{}: formula '{}': term '{}' has {:.0f} columns; with the terms before it the design would be {} rows x "
           "{:.0f} columns, more than the {:.0f} cells a fit may build; select rows with --where or use fewer terms",
           t.source, f.text, term_name(term), c, n, columns, kMaxCells);
  }
  // The design: intercept, then every term's columns (products over its atoms).
  std::vector<std::string> names;
  std::vector<std::vector<double>> cols;
  if (f.intercept) names.push_back("(Intercept)"), cols.emplace_back(static_cast<size_t>(n), 1.0);
  for (const auto& term : f.terms) {
    std::vector<std::string> tn = {""};
    std::vector<std::vector<double>> tv = {std::vector<double>(static_cast<size_t>(n), 1.0)};
    for (const auto& a : term) {
      const AtomColumns& ac = atoms.at(a.name());
      std::vector<std::string> nn;
      std::vector<std::vector<double>> nv;
      for (size_t i = 0; i < tn.size(); ++i)
        for (size_t j = 0; j < ac.names.size(); ++j) {
          const std::string label = (a.factor ? a.name() : a.power != 1 ? a.name() : a.column) + ac.names[j];
          nn.push_back(tn[i].empty() ? label : tn[i] + ":" + label);
          std::vector<double> p(static_cast<size_t>(n));
          for (size_t r = 0; r < p.size(); ++r) p[r] = tv[i][r] * ac.values[j][r];
          nv.push_back(std::move(p));
        }
      tn = std::move(nn), tv = std::move(nv);
    }
    for (size_t i = 0; i < tn.size(); ++i) names.push_back(tn[i]), cols.push_back(std::move(tv[i]));
  }
  const auto p = static_cast<int64_t>(cols.size());
  if (p == 0) fail("formula '{}': no columns", f.text);
  if (n <= p) fail("{}: {} complete rows for {} coefficients; a fit needs more rows than coefficients", t.source, n, p);
  // QR costs about n p^2 operations in extended precision (some 1e9 a second here): a design that
  // fits in memory can still take hours. Refused with its size beyond about a minute's work.
  if (static_cast<double>(n) * static_cast<double>(p) * static_cast<double>(p) > kMaxWork)
    fail("{}: a design of {} rows x {} columns needs about {:.1e} operations to solve, more than the {:.0e} a fit may "
         "take; select rows with --where or use fewer terms",
         t.source, n, p, static_cast<double>(n) * static_cast<double>(p) * static_cast<double>(p), kMaxWork);
  Mat X(n, p);
  Vec scale(p);
  for (int64_t j = 0; j < p; ++j) {
    for (int64_t i = 0; i < n; ++i) X(i, j) = cols[static_cast<size_t>(j)][static_cast<size_t>(i)];
    scale(j) = X.col(j).norm();
    if (scale(j) == 0) fail("{}: column '{}' of the design is zero on every row", t.source, names[static_cast<size_t>(j)]);
    X.col(j) /= scale(j);
  }
  Eigen::ColPivHouseholderQR<Mat> qr(X);
  qr.setThreshold(Real(1e-13));
  if (qr.rank() < p) {
    // The first pivoted column past the rank is a combination of the others.
    const auto aliased = qr.colsPermutation().indices()(qr.rank());
    fail("{}: the design has rank {} for {} columns: '{}' is a linear combination of the others (aliased); "
         "remove a term or check that every factor varies",
         t.source, qr.rank(), p, names[static_cast<size_t>(aliased)]);
  }
  Vec b = qr.solve(y);
  // One step of iterative refinement: the residual of the normal system, solved again.
  {
    const Vec r = y - X * b;
    b += qr.solve(r);
  }
  const Vec res = y - X * b;
  const Real rss = res.squaredNorm();
  const int64_t df = n - p;
  const Real sigma2 = rss / static_cast<Real>(df);
  // (R^T R)^-1 diagonal = squared row norms of R^-1, mapped back through the pivoting.
  const Mat R = qr.matrixQR().topLeftCorner(p, p).template triangularView<Eigen::Upper>();
  const Mat Rinv = R.template triangularView<Eigen::Upper>().solve(Mat::Identity(p, p));
  Vec var(p);
  for (int64_t k = 0; k < p; ++k) var(qr.colsPermutation().indices()(k)) = Rinv.row(k).squaredNorm();
  // Total sum of squares: about the mean with an intercept, about zero without.
  Real tss = 0;
  if (f.intercept) {
    const Real mean = y.mean();
    for (int64_t i = 0; i < n; ++i) tss += (y(i) - mean) * (y(i) - mean);
  } else {
    tss = y.squaredNorm();
  }
  out.df_residual = df;
  out.rss = static_cast<double>(rss);
  out.sigma = static_cast<double>(std::sqrt(sigma2));
  out.r2 = tss > 0 ? static_cast<double>(1 - rss / tss) : 0;
  const int64_t k = p - (f.intercept ? 1 : 0);
  out.adj_r2 = 1 - (1 - out.r2) * static_cast<double>(n - (f.intercept ? 1 : 0)) / static_cast<double>(df);
  out.f_df1 = k;
  if (k > 0) {
    if (rss == 0) {
      out.f = std::numeric_limits<double>::infinity(), out.f_p = 0;
    } else {
      out.f = static_cast<double>(((tss - rss) / static_cast<Real>(k)) / sigma2);
      out.f_p = out.f > 0 ? boost::math::cdf(boost::math::complement(
                                boost::math::fisher_f_distribution<double>(static_cast<double>(k), static_cast<double>(df)), out.f))
                          : 1.0;
    }
  }
  const boost::math::students_t_distribution<double> student(static_cast<double>(df));
  for (int64_t j = 0; j < p; ++j) {
    Coefficient c;
    c.term = names[static_cast<size_t>(j)];
    c.estimate = static_cast<double>(b(j) / scale(j));
    c.std_error = static_cast<double>(std::sqrt(sigma2 * var(j)) / scale(j));
    if (c.std_error > 0) {
      c.t = c.estimate / c.std_error;
      c.p = std::isfinite(c.t) ? 2 * boost::math::cdf(boost::math::complement(student, std::fabs(c.t))) : 0.0;
    } else {
      c.t = c.estimate == 0 ? std::numeric_limits<double>::quiet_NaN() : std::copysign(std::numeric_limits<double>::infinity(), c.estimate);
      c.p = c.estimate == 0 ? std::numeric_limits<double>::quiet_NaN() : 0.0;
    }
    out.terms.push_back(c);
  }
  return out;
}

nlohmann::json to_json(const FitResult& r) {
  auto finite = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  nlohmann::json j{{"formula", r.formula}, {"response", r.response}, {"n", r.n},
                   {"df_residual", r.df_residual}, {"r2", r.r2}, {"adj_r2", r.adj_r2},
                   {"f", finite(r.f)}, {"f_df1", r.f_df1}, {"f_p", finite(r.f_p)},
                   {"sigma", r.sigma}, {"coding", "treatment contrasts (first level is the reference)"}};
  j["factors"] = r.factors;
  j["terms"] = nlohmann::json::array();
  for (const auto& c : r.terms)
    j["terms"].push_back({{"term", c.term}, {"estimate", c.estimate}, {"std_error", c.std_error},
                          {"t", finite(c.t)}, {"p", finite(c.p)}});
  return j;
}

}  // namespace cnnfi::stats
