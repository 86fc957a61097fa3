// The data of a report: everything the page shows, computed here from the result stores (and
// the model each store names), so the numbers on the page are the store's numbers and tests can
// check them without a browser. One JSON object:
//   {cnnfi_version, generated, campaigns: [...], graphs: {model_sha256: {nodes, edges}}, findings}
// Each campaign carries its metadata, status (complete / running: k of n trials), golden
// accuracy, per-point summaries, per-layer and per-bit outcome breakdowns, seed-004 estimates
// for exhaustive/sfi stores, and the per-layer vulnerability its graph is coloured by.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cnnfi::report {

/// Reads every store; a missing, damaged or non-cnnfi store is an error naming it.
nlohmann::json report_data(const std::vector<std::string>& stores);

/// Headline findings of one campaign's data (most vulnerable layer and bit, accuracy at the
/// largest fault count), as sentences with their numbers.
std::vector<std::string> findings(const nlohmann::json& campaign);

}  // namespace cnnfi::report
