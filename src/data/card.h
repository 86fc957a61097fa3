// Where a model's preprocessing comes from. A model carries it in two places: its model card
// (a JSON file next to it: models/x.onnx -> models/x.card.json, with the architecture, how it
// was trained and its accuracy) and its ONNX metadata (key "cnnfi.preprocessing", written by
// `cnnfi train` and `cnnfi quantize`, so that the model file alone is enough). The card wins
// over the metadata (it is the file a person edits); command-line flags win over both, field by
// field. A model with neither gets no preprocessing, and every command says so.
#pragma once
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "data/preprocess.h"

namespace cnnfi::data {

/// The ONNX metadata key that holds a model's preprocessing (Preprocess::to_json).
constexpr const char* kPreprocessKey = "cnnfi.preprocessing";

/// The card path for a model path: strips ".onnx" and appends ".card.json".
std::string card_path(const std::string& model_path);
/// The card as JSON if it exists; a malformed card is an error naming the file.
std::optional<nlohmann::json> read_card(const std::string& model_path);
/// The card's preprocessing, if a card exists and has one.
std::optional<Preprocess> card_preprocess(const std::string& model_path);
/// The metadata_props of an ONNX model (the graph is skipped, not parsed); empty when the file
/// cannot be read as a model (loading it reports why).
std::map<std::string, std::string> onnx_metadata(const std::string& model_path);
/// The preprocessing in the ONNX metadata, if any; malformed metadata is an error naming the file.
std::optional<Preprocess> metadata_preprocess(const std::string& model_path);

/// Preprocessing as resolved for a command, with where it came from.
struct ResolvedPreprocess {
  Preprocess pre;
  std::string origin;  ///< "the model card X", "the ONNX metadata of X", "key 'preprocessing' of C", "none"
  std::string flags;   ///< the flags that overrode it ("--mean, --std"), empty when none
  std::string note;    ///< a disagreement worth a warning (card and metadata differ), else empty
  bool none() const { return origin == "none" && flags.empty(); }
  /// "mean 0.286, std 0.353, pad 2 (from the model card m.card.json)"
  std::string describe() const;
};

/// Flags over (the campaign's own `given`, else the card, else the ONNX metadata of the model).
ResolvedPreprocess resolve_preprocess(const std::string& model_path, const PreprocessFlags& flags,
                                      const std::optional<Preprocess>& given = std::nullopt,
                                      const std::string& given_origin = "");
/// Prints the resolved preprocessing on stderr (a warning when the model has none), once per
/// process for each (model, preprocessing) pair: commands that open data several times say it once.
void announce(const ResolvedPreprocess& r, const std::string& model_path);

}  // namespace cnnfi::data
