// cnnfi merge's core (store/merge.cpp): shard stores into one new store.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace cnnfi::store {

struct MergeResult {
  int64_t written = 0, total = 0;  ///< trials with results in the new store, trials planned
};

/// Merges `shards` into the new store `output` (which must not exist or be empty); errors name the
/// shard and row at fault and leave no output behind.
MergeResult merge_stores(const std::vector<std::string>& shards, const std::string& output);

}  // namespace cnnfi::store
