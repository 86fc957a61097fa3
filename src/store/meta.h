// A campaign's metadata as the result store keeps it, typed. The store holds it as key/value
// rows; reading it back checks every value (a number that does not parse, a missing key) and
// names the store and key at fault. Keys a newer cnnfi wrote land in `extra`, untouched.
#pragma once
#include <cstdint>
#include <map>
#include <string>

namespace cnnfi::store {

struct Meta {
  std::string kind;            ///< campaign kind (campaign/kind_list.def)
  std::string config_yaml;     ///< the campaign file's text
  std::string config_file;     ///< its path when run
  std::string cnnfi_version;
  uint64_t seed = 0;
  std::string model;           ///< path of the ONNX model when run
  std::string model_sha256;
  std::string data;            ///< the data source as described by it
  std::string data_sha256;
  int64_t images = 0;          ///< images evaluated per trial
  std::string format;          ///< number format name
  std::string nonfinite;       ///< non-finite policy name
  std::string preprocessing;   ///< JSON
  std::string criticality;     ///< criticality name (exhaustive, sfi)
  double t = 0;                ///< t of the estimates
  std::string strata;          ///< JSON list of strata (exhaustive, sfi); empty otherwise
  std::string started, finished;  ///< ISO 8601 UTC
  std::string status;          ///< "running" or "complete"
  double run_seconds = 0;      ///< wall time over every run and resume
  int64_t rounds = 1;          ///< sampling rounds (adaptive sfi)
  std::map<std::string, std::string> extra;

  bool complete() const { return status == "complete"; }
  /// What ran, in words: the number format, and for integer campaigns "int8 integer execution
  /// (modules all, weights per tensor), calibrated on <data> (<n> images)".
  std::string execution() const;
  std::map<std::string, std::string> to_map() const;
  /// Parses and checks stored rows; `path` names the store in errors.
  static Meta from_map(const std::map<std::string, std::string>& rows, const std::string& path);
};

}  // namespace cnnfi::store
