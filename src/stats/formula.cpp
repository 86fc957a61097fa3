#include "stats/formula.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "util/error.h"

namespace cnnfi::stats {

std::string Atom::name() const {
  if (factor) return "C(" + column + ")";
  if (power != 1) return fmt::format("I({}^{})", column, power);
  return column;
}

std::string term_name(const Term& t) {
  std::string s;
  for (const auto& a : t) s += (s.empty() ? "" : ":") + a.name();
  return s;
}

namespace {

// A set of terms during parsing (an expression's value); order of appearance is kept.
using Terms = std::vector<Term>;

/// A model may have at most this many terms; expansion stops as soon as it passes it (a*b*...*t
/// over 20 variables would be 2^20 terms, each compared with the others).
constexpr size_t kMaxTerms = 4096;

/// Thrown when an expansion passes kMaxTerms (or would multiply more than that squared); the
/// parser turns it into an error naming the position.
struct TooManyTerms {
  double count;
};

void add_term(Terms& out, Term t) {
  for (const auto& u : out)
    if (u.size() == t.size() && std::all_of(t.begin(), t.end(), [&](const Atom& a) {
          return std::find(u.begin(), u.end(), a) != u.end();
        }))
      return;
  out.push_back(std::move(t));
  if (out.size() > kMaxTerms) throw TooManyTerms{static_cast<double>(out.size())};
}

Terms interact(const Terms& a, const Terms& b) {
  if (static_cast<double>(a.size()) * static_cast<double>(b.size()) > static_cast<double>(kMaxTerms) * kMaxTerms)
    throw TooManyTerms{static_cast<double>(a.size()) * static_cast<double>(b.size())};
  Terms out;
  for (const auto& x : a)
    for (const auto& y : b) {
      Term t = x;
      for (const auto& atom : y)
        if (std::find(t.begin(), t.end(), atom) == t.end()) t.push_back(atom);
      add_term(out, t);
    }
  return out;
}

class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}

  Formula run() {
    try {
      return parse();
    } catch (const TooManyTerms& e) {
      bad(fmt::format("the expansion reaches {:.0f} terms (at most {}; each term is one or more columns of the design)",
                      e.count, kMaxTerms));
    }
  }

 private:
  Formula parse() {
    Formula f;
    f.text = s_;
    skip();
    f.response = identifier("the response");
    skip();
    if (!eat('~')) bad("expected '~' after the response");
    // The right-hand side: sums and differences of products.
    Terms terms;
    bool first = true, minus = false;
    while (true) {
      skip();
      if (!first) {
        if (eat('+')) minus = false;
        else if (eat('-')) minus = true;
        else break;
        skip();
      } else if (eat('-')) {
        minus = true;
        skip();
      }
      first = false;
      // Intercept controls: 0, 1, -1, +0.
      if (pos_ < s_.size() && (s_[pos_] == '0' || s_[pos_] == '1') &&
          (pos_ + 1 == s_.size() || !std::isalnum(static_cast<unsigned char>(s_[pos_ + 1])))) {
        const bool one = s_[pos_++] == '1';
        intercept_ = minus ? !one : one;
        continue;
      }
      Terms t = product();
      if (minus) {
        for (const auto& x : t)
          terms.erase(std::remove_if(terms.begin(), terms.end(), [&](const Term& u) { return term_name(u) == term_name(x); }),
                      terms.end());
      } else {
        for (auto& x : t) add_term(terms, std::move(x));
      }
    }
    skip();
    if (pos_ != s_.size()) bad(fmt::format("unexpected '{}'", s_[pos_]));
    // R's order: by the number of variables, then by appearance.
    std::stable_sort(terms.begin(), terms.end(), [](const Term& a, const Term& b) { return a.size() < b.size(); });
    f.terms = std::move(terms);
    f.intercept = intercept_;
    if (f.terms.empty() && !f.intercept) bad("the model has no terms and no intercept");
    return f;
  }

  // product := power (('*' | ':') power)*
  Terms product() {
    Terms left = power();
    while (true) {
      skip();
      if (eat('*')) {
        const Terms right = power();
        Terms all = left;
        for (const auto& t : right) add_term(all, t);
        for (auto& t : interact(left, right)) add_term(all, std::move(t));
        left = std::move(all);
      } else if (eat(':')) {
        left = interact(left, power());
      } else {
        return left;
      }
    }
  }
  // power := primary ('^' integer)?   (a sum raised to k: every interaction up to order k)
  Terms power() {
    Terms base = primary();
    skip();
    if (!eat('^')) return base;
    skip();
    const int k = integer();
    if (k < 1 || k > 10) bad("the order after '^' must be 1 to 10");
    Terms all = base;
    Terms cur = base;
    for (int i = 1; i < k; ++i) {
      cur = interact(cur, base);
      for (const auto& t : cur) add_term(all, t);
    }
    return all;
  }
  // primary := '(' sum ')' | I(name ^ k) | C(name) | name
  Terms primary() {
    skip();
    if (eat('(')) {
      Terms all;
      do {
        skip();
        for (auto& t : product()) add_term(all, std::move(t));
        skip();
      } while (eat('+'));
      if (!eat(')')) bad("expected ')'");
      return all;
    }
    const size_t at = pos_;
    const std::string name = identifier("a variable");
    skip();
    if ((name == "I" || name == "C" || name == "factor") && eat('(')) {
      skip();
      Atom a;
      a.column = identifier("a variable");
      skip();
      if (name == "I") {
        if (!eat('^')) bad("I() takes a power of a variable, e.g. I(x^2)");
        skip();
        a.power = integer();
        if (a.power < 1 || a.power > 20) bad("the power in I() must be 1 to 20");
      } else {
        a.factor = true;
      }
      skip();
      if (!eat(')')) bad("expected ')'");
      return {Term{a}};
    }
    (void)at;
    return {Term{Atom{name}}};
  }
  std::string identifier(const char* what) {
    const size_t b = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_' || s_[pos_] == '.'))
      ++pos_;
    if (b == pos_ || std::isdigit(static_cast<unsigned char>(s_[b]))) {
      pos_ = b;
      bad(fmt::format("expected {}", what));
    }
    return s_.substr(b, pos_ - b);
  }
  int integer() {
    const size_t b = pos_;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    if (b == pos_ || pos_ - b > 3) {
      pos_ = b;
      bad("expected a small integer");
    }
    return std::stoi(s_.substr(b, pos_ - b));
  }
  bool eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) return ++pos_, true;
    return false;
  }
  void skip() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  [[noreturn]] void bad(const std::string& why) const {
    fail("formula '{}': {} at position {}", s_, why, pos_ + 1);
  }

  const std::string& s_;
  size_t pos_ = 0;
  bool intercept_ = true;
};

}  // namespace

Formula parse_formula(const std::string& text) {
  if (text.size() > 4096) fail("formula: {} characters; at most 4096", text.size());
  return Parser(text).run();
}

}  // namespace cnnfi::stats
