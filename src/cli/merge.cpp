// cnnfi merge: joins the stores of the shards of one campaign (cnnfi run --shard K/N) into one
// (store/merge.h), after the output guard: the new store is none of the files the shards were
// computed from, and no shard is given twice.
#include <cstdio>

#include "cli/commands.h"
#include "cli/common.h"
#include "store/merge.h"
#include "util/error.h"
#include "util/file.h"

namespace cnnfi::cli {

void merge_stores(const std::vector<std::string>& shards, const std::string& output) {
  if (shards.empty()) fail("merge: name the shard stores");
  refuse_overwrite(output, store_inputs(shards), "-o");
  require_regular_output(output, "-o");
  refuse_duplicates(shards, "merge");
  const auto r = store::merge_stores(shards, output);
  std::printf("%s: %lld of %lld trials from %zu shard store(s)%s\n", output.c_str(), static_cast<long long>(r.written),
              static_cast<long long>(r.total), shards.size(),
              r.written == r.total ? "" : " (not every trial is finished: run the missing shards, then merge again)");
}

void setup_merge(CLI::App& app) {
  auto shards = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("merge", "join the stores of a campaign's shards (cnnfi run --shard K/N) into one");
  sub->add_option("shards", *shards, "the shard stores")->required();
  sub->add_option("-o,--output", *output, "the merged store (new)")->required();
  sub->callback([shards, output] { merge_stores(*shards, *output); });
}

}  // namespace cnnfi::cli
