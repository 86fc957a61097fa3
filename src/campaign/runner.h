// Runs a campaign into its result store: plans the trials (or, with resume, reads the plan
// back), evaluates the unfinished ones in chunks on the shared evaluator, and commits each
// finished chunk. Resuming refuses a store whose model, data or config differ, naming which.
// Sizes are checked before anything is built: a plan that would not fit in memory, a store that
// would not fit on disk, and (after the first chunk) a run longer than the time budget are
// refused with their estimates.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "campaign/config.h"
#include "data/card.h"
#include "campaign/outcome.h"
#include "data/preprocess.h"
#include "data/source.h"
#include "store/store.h"

namespace cnnfi::campaign {

struct RunOptions {
  std::string output;          ///< the store (.db)
  bool resume = false;
  size_t chunk = 0;            ///< trials evaluated per pass over the data (0: by kind)
  /// Time budget in seconds (0: none). After the first chunk the remaining time is estimated
  /// from it; a campaign estimated to take longer stops there (its first chunk saved) with the
  /// estimate, to be resumed with a larger budget.
  double budget_seconds = 24 * 3600;
  std::function<void(int64_t done, int64_t total)> progress;
  /// Shard `shard` of `shards` (0-based here; `--shard K/N` counts from 1): evaluate only the
  /// trials whose index is `shard` modulo `shards`. Every shard plans the whole campaign (the same plan, from the seed); `cnnfi merge`
  /// joins the shards' stores into one equal to a single run.
  int shard = 0, shards = 1;
};

struct RunInfo {
  int64_t trials = 0, evaluated = 0, already_done = 0;
  double seconds = 0;
};

RunInfo run_campaign(const CampaignConfig& config, const RunOptions& opts);

/// The images a campaign evaluates: its preprocessing (the config's, else the model card's) and
/// its data source with the config's limit and per-class selection.
struct CampaignData {
  data::Preprocess pre;
  std::unique_ptr<data::Source> source;
  data::ResolvedPreprocess resolved;  ///< pre with where it came from
};
/// The campaign's data and preprocessing: the command line's flags (config.pre_flags) over the
/// campaign's key 'preprocessing', else the model card, else the model's ONNX metadata.
CampaignData open_campaign_data(const CampaignConfig& config);

/// A finished trial's store row: its per-image facts and the counts they give under `policy`.
store::TrialRow finished_row(int64_t trial, std::vector<uint8_t> facts, bool skipped, NonFinitePolicy policy);

}  // namespace cnnfi::campaign
