#include "data/card.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/wire_format_lite.h>

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
  if (!card || !card->is_object() || !card->contains("preprocessing")) return std::nullopt;
  return Preprocess::from_json((*card)["preprocessing"], card_path(model_path));
}

std::map<std::string, std::string> onnx_metadata(const std::string& model_path) {
  namespace pb = google::protobuf;
  std::map<std::string, std::string> out;
  const int fd = ::open(model_path.c_str(), O_RDONLY);
  if (fd < 0) return out;
  {
    pb::io::FileInputStream file(fd);
    pb::io::CodedInputStream in(&file);
    in.SetTotalBytesLimit(INT_MAX);
    // ModelProto field 14: repeated StringStringEntryProto metadata_props {1: key, 2: value}.
    constexpr uint32_t kMetadataProps = 14;
    for (uint32_t tag; (tag = in.ReadTag()) != 0;) {
      if (pb::internal::WireFormatLite::GetTagFieldNumber(tag) == kMetadataProps &&
          pb::internal::WireFormatLite::GetTagWireType(tag) == pb::internal::WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
        uint32_t len = 0;
        if (!in.ReadVarint32(&len)) break;
        const auto limit = in.PushLimit(static_cast<int>(len));
        std::string key, value;
        bool ok = true;
        for (uint32_t t; ok && (t = in.ReadTag()) != 0;) {
          const auto f = pb::internal::WireFormatLite::GetTagFieldNumber(t);
          const bool delimited =
              pb::internal::WireFormatLite::GetTagWireType(t) == pb::internal::WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
          if ((f == 1 || f == 2) && delimited) {
            uint32_t n = 0;
            ok = in.ReadVarint32(&n) && in.ReadString(f == 1 ? &key : &value, static_cast<int>(n));
          } else {
            ok = pb::internal::WireFormatLite::SkipField(&in, t);
          }
        }
        in.PopLimit(limit);
        if (!ok) break;
        out[key] = value;
      } else if (!pb::internal::WireFormatLite::SkipField(&in, tag)) {
        break;
      }
    }
  }
  ::close(fd);
  return out;
}

std::optional<Preprocess> metadata_preprocess(const std::string& model_path) {
  const auto meta = onnx_metadata(model_path);
  const auto it = meta.find(kPreprocessKey);
  if (it == meta.end()) return std::nullopt;
  const std::string where = fmt::format("{}: ONNX metadata '{}'", model_path, kPreprocessKey);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(it->second);
  } catch (const nlohmann::json::exception& e) {
    fail("{} is not JSON: {}", where, e.what());
  }
  return Preprocess::from_json(j, where);
}

namespace {

std::string list(const std::vector<float>& v) {
  std::string s;
  for (float x : v) s += (s.empty() ? "" : ",") + fmt::format("{:g}", x);
  return s;
}

bool same(const Preprocess& a, const Preprocess& b) { return a.to_json() == b.to_json(); }

}  // namespace

std::string ResolvedPreprocess::describe() const {
  std::string what;
  const bool identity = std::all_of(pre.mean.begin(), pre.mean.end(), [](float m) { return m == 0; }) &&
                        std::all_of(pre.std.begin(), pre.std.end(), [](float s) { return s == 1; });
  if (pre.channels) what += fmt::format("channels {}, ", pre.channels);
  if (pre.resize_h) what += fmt::format("resize {}x{}, ", pre.resize_h, pre.resize_w);
  if (pre.pad) what += fmt::format("pad {}, ", pre.pad);
  if (!identity) what += fmt::format("mean {}, std {}, ", list(pre.mean), list(pre.std));
  what = what.empty() ? "none (pixels scaled to [0, 1])" : what.substr(0, what.size() - 2);
  std::string from = origin == "none" ? "" : "from " + origin;
  if (!flags.empty()) from += (from.empty() ? "" : "; ") + flags + " from the command line";
  return from.empty() ? what : what + " (" + from + ")";
}

ResolvedPreprocess resolve_preprocess(const std::string& model_path, const PreprocessFlags& flags,
                                      const std::optional<Preprocess>& given, const std::string& given_origin) {
  ResolvedPreprocess r;
  std::optional<Preprocess> base;
  if (given) {
    base = given;
    r.origin = given_origin;
  } else if (!model_path.empty()) {
    const auto card = card_preprocess(model_path);
    const auto meta = metadata_preprocess(model_path);
    if (card) {
      base = card;
      r.origin = "the model card " + card_path(model_path);
      if (meta && !same(*card, *meta))
        r.note = fmt::format("{}'s ONNX metadata has other preprocessing ({}); the card's is used", model_path,
                             meta->to_json().dump());
    } else if (meta) {
      base = meta;
      r.origin = "the ONNX metadata of " + model_path;
    }
  }
  if (!base) r.origin = "none";
  std::vector<std::string> given_flags;
  if (flags.mean) given_flags.push_back("--mean");
  if (flags.std) given_flags.push_back("--std");
  if (flags.pad) given_flags.push_back("--pad");
  if (flags.resize) given_flags.push_back("--resize");
  if (flags.channels) given_flags.push_back("--channels");
  for (const auto& f : given_flags) r.flags += (r.flags.empty() ? "" : ", ") + f;
  r.pre = flags.resolve(base);
  return r;
}

void announce(const ResolvedPreprocess& r, const std::string& model_path) {
  static std::mutex mu;
  static std::set<std::string> said;
  const std::string key = model_path + "\n" + r.describe();
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!said.insert(key).second) return;
  }
  if (!r.note.empty()) std::fprintf(stderr, "warning: %s\n", r.note.c_str());
  if (r.none())
    std::fprintf(stderr,
                 "warning: %s has no preprocessing (no model card %s, no '%s' in its ONNX metadata, no --mean/--std "
                 "flags): images go in as pixels scaled to [0, 1]. If the model was trained on normalised, padded or "
                 "resized images, every number computed here is wrong: pass --mean/--std (and --pad, --resize, "
                 "--channels) as in training, or write a model card\n",
                 model_path.c_str(), card_path(model_path).c_str(), kPreprocessKey);
  else
    std::fprintf(stderr, "preprocessing: %s\n", r.describe().c_str());
}

}  // namespace cnnfi::data
