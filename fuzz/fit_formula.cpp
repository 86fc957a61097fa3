// cnnfi fit: the input's first line is a model formula, the rest a CSV table. Formulas whose
// expansion or design would never finish must be refused by size, with a cnnfi::Error.
#include <string>

#include "fuzz.h"
#include "stats/formula.h"
#include "stats/ols.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto nl = text.find('\n');
  const std::string formula = text.substr(0, nl);
  const std::string csv = nl == std::string::npos ? "" : text.substr(nl + 1);
  const cnnfi::fuzz::TempFile f(reinterpret_cast<const uint8_t*>(csv.data()), csv.size(), ".csv");
  cnnfi::fuzz::expect_clean([&] {
    const auto parsed = cnnfi::stats::parse_formula(formula);
    cnnfi::stats::fit(parsed, cnnfi::stats::read_csv(f.path()));
  });
  return 0;
}
