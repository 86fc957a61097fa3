// Which weight tensors a campaign, a fault list or a protection selects (layers: all, a list of
// initializer names, or "re:<regex>"); resolved against an injector by fault/generate.h.
#pragma once
#include <string>
#include <vector>

namespace cnnfi::fault {

/// Which weight tensors: all of them, those a regular expression matches, or a list of names
/// (names may hold any character, commas included, when given as a list).
struct LayerSelection {
  std::vector<std::string> names;  ///< empty (and no regex): all
  std::string regex;
  bool all() const { return names.empty() && regex.empty(); }
  /// "all", "re:REGEX" or "NAME[,NAME...]" (command-line form: names split at commas).
  static LayerSelection parse(const std::string& spec);
  static LayerSelection of(std::vector<std::string> names);
  std::string describe() const;
};

}  // namespace cnnfi::fault
