// Model cards: a JSON file next to a model (models/x.onnx -> models/x.card.json) with the
// architecture, the preprocessing the model expects, how it was trained and its accuracy.
#pragma once
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "data/preprocess.h"

namespace cnnfi::data {

/// The card path for a model path: strips ".onnx" and appends ".card.json".
std::string card_path(const std::string& model_path);
/// The card as JSON if it exists; a malformed card is an error naming the file.
std::optional<nlohmann::json> read_card(const std::string& model_path);
/// The card's preprocessing, if a card exists and has one.
std::optional<Preprocess> card_preprocess(const std::string& model_path);

}  // namespace cnnfi::data
