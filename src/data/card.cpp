#include "data/card.h"

#include "util/error.h"
#include "util/file.h"

namespace cnnfi::data {

std::string card_path(const std::string& model_path) {
  std::string stem = model_path;
  if (stem.size() > 5 && stem.substr(stem.size() - 5) == ".onnx") stem.resize(stem.size() - 5);
  return stem + ".card.json";
}

std::optional<nlohmann::json> read_card(const std::string& model_path) {
  const std::string path = card_path(model_path);
  if (!file_exists(path)) return std::nullopt;
  try {
    return nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail("{}: malformed model card: {}", path, e.what());
  }
}

std::optional<Preprocess> card_preprocess(const std::string& model_path) {
  const auto card = read_card(model_path);
  if (!card || !card->contains("preprocessing")) return std::nullopt;
  return Preprocess::from_json((*card)["preprocessing"], card_path(model_path));
}

}  // namespace cnnfi::data
