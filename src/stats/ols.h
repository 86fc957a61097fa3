// Ordinary least squares from a model formula (stats/formula.h) over a table of named columns,
// for `cnnfi fit`. Coding, as R's lm() with its default contrasts:
//   numeric column  its values (I(x^k): the k-th power)
//   factor          a column with a value that is not a finite number, or C(x): treatment
//                   contrasts, one 0/1 column per level except the first (levels sorted: numbers
//                   numerically, text as text), named column + level ("modeSEU")
//   interaction     the products of its variables' columns, named a:b
// Solved by column-pivoting Householder QR in extended precision (long double) on columns scaled
// to unit norm, then one step of iterative refinement; never through the normal equations.
// Statistics as R's summary.lm: standard errors from sigma^2 (R^T R)^-1, t, two-sided p (Student
// t with n - p degrees of freedom), R^2 (about the mean with an intercept, about 0 without),
// adjusted R^2, F of the model against the intercept-only model and its p.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "stats/formula.h"

namespace cnnfi::stats {

/// Named columns of equal length, as text (a CSV's cells) -- numbers where they parse.
struct Table {
  std::vector<std::string> names;
  std::vector<std::vector<std::string>> columns;
  std::string source;  ///< for messages
  int64_t rows() const { return columns.empty() ? 0 : static_cast<int64_t>(columns[0].size()); }
  /// Index of a column; an unknown name is an error listing the columns.
  size_t index(const std::string& name) const;
  void add(const std::string& name, std::vector<std::string> values);
};

/// Reads a CSV file with a header row (comma separated; double quotes around a cell allowed).
/// Errors name the file and line.
Table read_csv(const std::string& path);

struct Coefficient {
  std::string term;  ///< "(Intercept)", "x", "modeSEU", "bits:modeSEU"
  double estimate = 0, std_error = 0, t = 0, p = 0;
};

struct FitResult {
  std::string formula, response;
  int64_t n = 0, df_residual = 0;
  double r2 = 0, adj_r2 = 0, f = 0, f_p = 0, sigma = 0, rss = 0;
  int64_t f_df1 = 0;
  std::vector<Coefficient> terms;
  /// Each factor's levels, the first the reference ("coding").
  std::map<std::string, std::vector<std::string>> factors;
};

/// Fits `f` over the rows of `t` whose response and variables are all present (non-empty).
/// A design of lower rank than its columns is an error naming an aliased column.
FitResult fit(const Formula& f, const Table& t);

/// {formula, response, n, df_residual, r2, adj_r2, f, f_df1, f_p, sigma, coding, factors,
/// terms: [{term, estimate, std_error, t, p}]}; values that are not finite are null.
nlohmann::json to_json(const FitResult& r);

}  // namespace cnnfi::stats
