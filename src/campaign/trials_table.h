// The trials of result stores as one table (one row per finished trial), the input of
// `cnnfi fit` and of the report's regressions. Columns:
//   store, model (file stems), kind, format     where the row comes from
//   trial, rep, x, n_faults, images             the trial as planned
//   every variable of the trial's point ("modules=w8 faults=10" gives modules and faults;
//   a name taken by another column gets the prefix point_)
//   accuracy                                    top-1 accuracy in percent (the seeds' scale)
//   critical, due, masked, tolerable            fractions of the images (the store's non-finite policy)
#pragma once
#include <string>
#include <vector>

#include "stats/ols.h"

namespace cnnfi::campaign {

stats::Table trials_table(const std::vector<std::string>& stores);

/// `cnnfi export --trials` / `--trials-jsonl`: the trials table of one store written as CSV (a
/// header row, RFC 4180 quoting) or as JSON lines (one object per trial; numbers as numbers, empty
/// cells as null), so pandas reads either as it is (pd.read_csv, pd.read_json(lines=True)).
void export_trials(const std::string& store, const std::string& out, bool jsonl);

}  // namespace cnnfi::campaign
