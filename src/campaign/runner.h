// Runs a campaign into its result store: plans the trials (or, with resume, reads the plan
// back), evaluates the unfinished ones in chunks on the shared evaluator, and commits each
// finished trial. Resuming refuses a store whose model, data or config differ, naming which.
#pragma once
#include <functional>
#include <string>

#include "campaign/config.h"

namespace cnnfi::campaign {

struct RunOptions {
  std::string output;          ///< the store (.db)
  bool resume = false;
  size_t chunk = 0;            ///< trials evaluated per pass over the data (0: by kind)
  std::function<void(int64_t done, int64_t total)> progress;
};

struct RunInfo {
  int64_t trials = 0, evaluated = 0, already_done = 0;
  double seconds = 0;
};

RunInfo run_campaign(const CampaignConfig& config, const RunOptions& opts);

}  // namespace cnnfi::campaign
