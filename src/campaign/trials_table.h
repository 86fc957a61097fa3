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

}  // namespace cnnfi::campaign
