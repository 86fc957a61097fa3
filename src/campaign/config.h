// A campaign file (YAML), parsed into typed options. The keys every kind reads, with defaults:
//   kind: a kind of campaign/kind_list.def                                  (required)
//   model: path.onnx (required; relative paths are relative to the campaign file)
//   data: SPEC (default fashion-mnist:test; file paths in it relative to the campaign file like model's);
//   limit: N; per_class: K; batch: 500
//   preprocessing: {mean: [..], std: [..], pad: P, channels: C, resize: HxW} (default: model card)
//   format: a number format of repr/format_list.def, or model               (default: the model's
//           own integer weight storage when it quantises its weights (QONNX), else fp32)
//   seed: 1; fault_model: flip | burstK | sa0 | sa1 (fault/fault_model_list.def)
//                 | sa (exhaustive and sfi only: both stuck-ats per bit, N = weights x bits x 2;
//                   their default, as seed 004 and `cnnfi plan`; flip for every other kind)
//   layers: all | [names] | "re:REGEX";  bits: all | "23-30" | exponent | ...
//   nonfinite: due | top1 | torch  (campaign/outcome.h);  name, description: free text
// Each kind reads its own keys into its own options (the kind's file documents them). Every key,
// common or a kind's, with its default, is a line of campaign/key_list.def, the table the parser
// accepts keys from (`cnnfi keys`, docs/keys.md); a key of another kind is an error.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "campaign/outcome.h"
#include "data/preprocess.h"
#include "fault/fault_model.h"
#include "fault/generate.h"
#include "fault/layout.h"
#include "fault/protection.h"
#include "util/error.h"

namespace cnnfi::campaign {

class TrialEvaluator;
struct EvaluatorContext;

/// A kind's own options (campaign/<kind>.cpp defines them and parses its keys into them).
struct KindOptions {
  virtual ~KindOptions() = default;
  /// How estimates of this campaign count a critical fault, and their t (exhaustive and sfi).
  virtual Criticality criticality() const { return {}; }
  virtual double t() const { return 2.58; }
  /// Files the kind reads beside the model (a command never overwrites them).
  virtual std::vector<std::string> inputs() const { return {}; }
  /// The defaults this kind chose for keys the file leaves out that change a number
  /// ("fault_model sa (seed 004)"), printed by `cnnfi run` and stored with the results.
  virtual std::vector<std::string> defaults() const { return {}; }
  /// The evaluator of this kind's trials; nullptr (the default) means the fault-list evaluator.
  virtual std::unique_ptr<TrialEvaluator> make_evaluator(const EvaluatorContext& ctx) const;
};

struct CampaignConfig {
  std::string file;  ///< the campaign file (for messages and relative paths)
  std::string yaml;  ///< its text, stored with the results
  std::string kind;  ///< a name of the kind table
  std::string model;
  std::string data = "fashion-mnist:test";
  int64_t limit = 0, per_class = 0, batch = 500;
  std::optional<data::Preprocess> preprocessing;
  data::PreprocessFlags pre_flags;  ///< from the command line (cnnfi run --mean ...), over `preprocessing`
  /// A name of the format table; empty: the model's own integer weight storage (QONNX) when it has
  /// one, else fp32 (fault::resolve_format, when the campaign runs).
  std::string format;
  uint64_t seed = 1;
  fault::FaultModelChoice fault_model;
  fault::LayerSelection layers;  ///< all
  std::string bits = "all";
  NonFinitePolicy nonfinite = NonFinitePolicy::due;
  /// false: a weight fault is not run on a batch whose every image a bound proves unchanged
  /// (fact `proven`, campaign/bound.h); true (default): every fault is evaluated.
  bool exact = true;
  fault::Layout layout;  ///< packing of weight words into memory words (fault/layout.h): bursts follow it
  std::vector<fault::ProtectionSpec> protection;  ///< simulated protection of weight memory (none)
  std::shared_ptr<const KindOptions> options;  ///< the kind's own, never null after parsing
  std::vector<std::string> defaults;  ///< defaults chosen for common keys left out (see KindOptions::defaults)

  /// Every default chosen, common keys first.
  std::vector<std::string> all_defaults() const;

  /// The kind's options as its type; throws if the config is of another kind.
  template <typename T>
  const T& kind_options() const {
    const auto* o = dynamic_cast<const T*>(options.get());
    if (!o) fail("{}: the options of kind '{}' are not those asked for", file, kind);
    return *o;
  }
};

/// Parses a campaign file. Errors name the file and key and list the allowed values/keys.
CampaignConfig load_campaign(const std::string& path);
/// The file paths of a data spec resolved as `model` is: relative to the campaign file `file` when
/// they exist there (or nowhere else), so a campaign means the same files from any directory.
std::string resolve_data_paths(const std::string& spec, const std::string& file);
CampaignConfig parse_campaign(const std::string& yaml_text, const std::string& file);

}  // namespace cnnfi::campaign
