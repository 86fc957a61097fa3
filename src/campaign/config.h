// A campaign file (YAML), parsed into typed options. Keys, with defaults:
// common to every kind:
//   kind: a kind of campaign/kind_list.def                                  (required)
//   model: path.onnx (required; relative paths are relative to the campaign file)
//   data: SPEC (default fashion-mnist:test); limit: N; per_class: K; batch: 500
//   preprocessing: {mean: [..], std: [..], pad: P, channels: C, resize: HxW} (default: model card)
//   format: a number format of repr/format_list.def                          (default fp32)
//   seed: 1; fault_model: flip | burstK | sa0 | sa1 (fault/fault_model_list.def)
//                 | sa (exhaustive and sfi only: both stuck-ats per bit, N = weights x bits x 2)
//   layers: all | [names] | "re:REGEX";  bits: all | "23-30" | exponent | ...
//   nonfinite: due | top1 | torch  (campaign/outcome.h);  name, description: free text
// read only by the kinds that list them in kind_list.def (elsewhere they are an error):
//   repetitions: 60 (seed 000; 1..1,000,000)
//   schedule: [0, 1, 2, 5, 10, 20, 50, 100] (incremental: non-decreasing fault counts >= 0)
//   faults_per_bit: 50 (bit-sweep)
//   rate: 1e-4 (layer-wise: faults per weight of the layer, in (0, 1], at least one per layer)
//   faults: list.csv | count: N (single: a list to replay, or N generated faults)
//   method: network | layer | data-unaware | data-aware | adaptive (sfi, seed 004);
//   error: 0.01 (0 < e < 1); confidence: 0.99 (or t: 2.58); p_rule: authors | fence (data-aware
//   p per bit, stats/data_aware.h; default: authors for fp32, fence otherwise)
//   criticality: pairs | any | fraction:X (exhaustive, sfi; how estimates count a critical fault,
//   recomputable later)
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "campaign/outcome.h"
#include "data/preprocess.h"
#include "fault/fault_model.h"
#include "fault/generate.h"
#include "stats/data_aware.h"

namespace cnnfi::campaign {

enum class SfiMethod { network, layer, data_unaware, data_aware, adaptive };
std::string to_string(SfiMethod m);
/// network | layer | data-unaware | data-aware | adaptive; throws naming the allowed ones.
SfiMethod parse_sfi_method(const std::string& s);

struct CampaignConfig {
  std::string file;  ///< the campaign file (for messages and relative paths)
  std::string yaml;  ///< its text, stored with the results
  std::string kind;  ///< a name of the kind table
  std::string model;
  std::string data = "fashion-mnist:test";
  int64_t limit = 0, per_class = 0, batch = 500;
  std::optional<data::Preprocess> preprocessing;
  std::string format = "fp32";  ///< a name of the format table
  uint64_t seed = 1;
  fault::FaultModelChoice fault_model;
  fault::LayerSelection layers;  ///< all
  std::string bits = "all";
  NonFinitePolicy nonfinite = NonFinitePolicy::due;
  // Kind-specific options.
  int repetitions = 60;
  std::vector<int64_t> schedule = {0, 1, 2, 5, 10, 20, 50, 100};
  int64_t faults_per_bit = 50;
  double rate = 1e-4;
  std::string faults_csv;
  int64_t count = 0;
  SfiMethod method = SfiMethod::data_unaware;
  double error = 0.01, confidence = 0.99, t = 0;  ///< t = 0: from the confidence
  Criticality criticality;
  std::optional<stats::PRule> p_rule;  ///< unset: stats::default_p_rule(format)

  double t_value() const;  ///< t, or the one of the confidence
};

/// Parses a campaign file. Errors name the file and key and list the allowed values/keys.
CampaignConfig load_campaign(const std::string& path);
CampaignConfig parse_campaign(const std::string& yaml_text, const std::string& file);

}  // namespace cnnfi::campaign
