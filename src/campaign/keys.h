// Reads the keys of one campaign file with their types and ranges; every message names the file
// and the key. Shared by the common keys (config.cpp) and each kind's own keys (its file).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace cnnfi::campaign {

class Keys {
 public:
  Keys(const YAML::Node& root, const std::string& file) : root_(root), file_(file) {}

  bool has(const char* key) const { return static_cast<bool>(root_[key]); }
  const YAML::Node& root() const { return root_; }
  const std::string& file() const { return file_; }
  [[noreturn]] void bad(const std::string& key, const std::string& what) const;

  /// The scalar text of `n`; a list or mapping is an error naming `key` and `expected`.
  std::string scalar(const YAML::Node& n, const std::string& key, const char* expected) const;
  std::string text(const char* key) const { return scalar(root_[key], key, "a string"); }
  /// An integer in [lo, hi]; overflow and trailing characters are errors.
  int64_t integer(const YAML::Node& n, const std::string& key, int64_t lo, int64_t hi) const;
  int64_t integer(const char* key, int64_t lo, int64_t hi) const { return integer(root_[key], key, lo, hi); }
  /// The key's integer, or `dflt` when the key is absent.
  int64_t integer_or(const char* key, int64_t lo, int64_t hi, int64_t dflt) const {
    return has(key) ? integer(key, lo, hi) : dflt;
  }
  uint64_t unsigned_integer(const char* key) const;
  /// A finite number in (lo, hi] (lo_open) or [lo, hi]; inf and nan are errors.
  double real(const YAML::Node& n, const std::string& key, double lo, double hi, bool lo_open) const;
  double real(const char* key, double lo, double hi, bool lo_open) const { return real(root_[key], key, lo, hi, lo_open); }
  /// Runs `parse` on the key's text; its cnnfi::Error is reported naming the file and key.
  template <typename F>
  auto parsed(const char* key, F&& parse) const {
    const std::string s = text(key);
    try {
      return parse(s);
    } catch (const std::exception& e) {
      bad(key, e.what());
    }
  }
  /// A path relative to the campaign file's folder (as written when absolute or not found there).
  std::string path(const char* key) const;

 private:
  const YAML::Node& root_;
  const std::string& file_;
};

/// One line of key_list.def: a campaign key, the kinds that read it ("*": every kind), its
/// default and its meaning.
struct KeyDoc {
  const char* name;
  const char* kinds;
  const char* dflt;
  const char* meaning;
};
/// The key table (key_list.def), in its order.
const std::vector<KeyDoc>& key_table();
/// The keys every kind reads.
std::vector<std::string> common_keys();
/// The keys kind `kind` reads beside the common ones, in table order.
std::vector<std::string> kind_keys(const std::string& kind);
/// The reference `cnnfi keys [KIND]` prints and docs/keys.md holds: Markdown tables of the common
/// keys and of each kind's own (only `kind`'s when given; an unknown kind is an error listing them).
std::string keys_reference(const std::string& kind = "");

/// Repetitions of the seed-000 kinds: 60 by default, 1..1,000,000.
int read_repetitions(const Keys& k);
/// Key `schedule`: a non-decreasing list of 1 to 1,000 fault counts (each 0 to 1e9), or `dflt`.
std::vector<int64_t> read_schedule(const Keys& k, std::vector<int64_t> dflt);

}  // namespace cnnfi::campaign
