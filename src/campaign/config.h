// A campaign file (YAML). Keys, with defaults:
//   kind: incremental | bit-sweep | layer-wise | single | exhaustive | sfi   (required)
//   model: path.onnx (required; relative paths are relative to the campaign file)
//   data: SPEC (default fashion-mnist:test); limit: N; per_class: K; batch: 500
//   preprocessing: {mean: [..], std: [..], pad: P, channels: C, resize: HxW} (default: model card)
//   format: fp32 | fp16 | bf16 | q8 | q16 | int8 | int8-channel     (default fp32)
//   seed: 1; repetitions: 60 (seed 000); fault_model: flip | burstK | sa0 | sa1
//                 | sa (exhaustive and sfi only: both stuck-ats per bit, N = weights x bits x 2)
//   layers: all | [names] | "re:REGEX";  bits: all | "23-30" | exponent | ...
//   nonfinite: due | top1 | torch  (campaign/outcome.h)
//   incremental: schedule: [0, 1, 2, 5, 10, 20, 50, 100]
//   bit-sweep:   faults_per_bit: 50
//   layer-wise:  rate: faults per weight in the layer (at least one per layer), default 1e-4
//   single:      faults: list.csv   or   count: N (generated, one fault per trial)
//   exhaustive:  every fault of the selected layers (default: Conv/Gemm/MatMul weights) and bits
//   sfi:         method: network | layer | data-unaware | data-aware | adaptive (seed 004);
//                error: 0.01; confidence: 0.99 (or t: 2.58); criticality: pairs | any |
//                fraction:X (how estimates count a critical fault; any can be recomputed later);
//                p_rule: authors | fence (data-aware p per bit, stats/data_aware.h; default:
//                authors for fp32, fence otherwise)
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "campaign/outcome.h"
#include "data/preprocess.h"
#include "stats/data_aware.h"
#include "fault/fault_model.h"

namespace cnnfi::campaign {

struct CampaignConfig {
  std::string file;  ///< the campaign file (for messages and relative paths)
  std::string yaml;  ///< its text, stored with the results
  std::string kind;
  std::string model;
  std::string data = "fashion-mnist:test";
  int64_t limit = 0, per_class = 0, batch = 500;
  std::optional<data::Preprocess> preprocessing;
  std::string format = "fp32";
  uint64_t seed = 1;
  int repetitions = 60;
  fault::FaultModel fault_model = fault::FaultModel::flip;
  std::string fault_model_name = "flip";  ///< as written; "sa" = stuck-at pairs
  int burst = fault::kDefaultBurst;
  std::string layers = "all", bits = "all";
  NonFinitePolicy nonfinite = NonFinitePolicy::due;
  std::vector<int64_t> schedule = {0, 1, 2, 5, 10, 20, 50, 100};
  int64_t faults_per_bit = 50;
  double rate = 1e-4;
  std::string faults_csv;
  int64_t count = 0;
  std::string method = "data-unaware";
  double error = 0.01, confidence = 0.99, t = 0;  ///< t = 0: from the confidence
  std::string criticality = "pairs";
  std::optional<stats::PRule> p_rule;  ///< unset: stats::default_p_rule(format)
};

/// Parses a campaign file. Errors name the file and key and list the allowed values/keys.
CampaignConfig load_campaign(const std::string& path);
CampaignConfig parse_campaign(const std::string& yaml_text, const std::string& file);

}  // namespace cnnfi::campaign
