// cnnfi merge over forged shard stores: the input is one store, merged with a copy of itself (two
// shards that agree on everything, so the merge reads every row of both). Renumbered trials,
// forged run counts and results outside the plan must end in a cnnfi::Error, never a crash or an
// allocation the plan cannot justify.
#include <filesystem>

#include "fuzz.h"
#include "store/merge.h"
#include "store/store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const cnnfi::fuzz::TempFile a(data, size, ".db"), b(data, size, ".db");
  const std::string out = a.path() + "-merged.db";
  cnnfi::fuzz::expect_clean([&] {
    cnnfi::store::Store st(a.path(), cnnfi::store::OpenMode::read);
    st.plan_entries();
  });
  cnnfi::fuzz::expect_clean([&] { cnnfi::store::merge_stores({a.path(), b.path()}, out); });
  std::error_code ec;
  for (const char* ext : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(out + ext, ec);
  return 0;
}
