// Model formulas as R and statsmodels write them, for `cnnfi fit`:
//   y ~ a + b          main effects
//   y ~ a:b            the interaction of a and b only
//   y ~ a*b*c          every main effect and interaction of a, b, c (full factorial)
//   y ~ (a + b + c)^2  every term up to second order
//   y ~ a + I(x^3)     a power of a numeric variable
//   y ~ C(bits) + ...  a numeric variable treated as a factor
//   y ~ a - 1, y ~ 0 + a   no intercept
// Terms are ordered as R orders them: by order (main effects first), then as they appeared.
#pragma once
#include <string>
#include <vector>

namespace cnnfi::stats {

/// One variable of a term: a column, raised to `power` (I(x^k)), or forced to a factor (C(x)).
struct Atom {
  std::string column;
  int power = 1;
  bool factor = false;
  std::string name() const;  ///< "x", "I(x^2)", "C(x)"
  bool operator==(const Atom& o) const { return column == o.column && power == o.power && factor == o.factor; }
};

/// A product of distinct atoms (one atom: a main effect).
using Term = std::vector<Atom>;
std::string term_name(const Term& t);  ///< "a:b"

struct Formula {
  std::string response;
  bool intercept = true;
  std::vector<Term> terms;
  std::string text;
};

/// Parses `text`; errors name the formula and the position at fault.
Formula parse_formula(const std::string& text);

}  // namespace cnnfi::stats
