// The campaign-key reference (campaign/key_list.def): `cnnfi keys` prints it, docs/keys.md is its
// output, and the parser accepts exactly the keys it lists per kind.
#include <algorithm>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "campaign/config.h"
#include "campaign/keys.h"
#include "campaign/kind.h"
#include "support/support.h"
#include "util/error.h"

using namespace cnnfi;

TEST(Keys, DocsPageIsTheCommandsOutput) {
  const auto r = test::run_cnnfi("keys");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(test::source_dir() + "/docs/keys.md");
  std::stringstream page;
  page << in.rdbuf();
  EXPECT_EQ(r.out, page.str()) << "regenerate it: cnnfi keys > docs/keys.md";
  for (const auto& e : campaign::kinds()) EXPECT_NE(r.out.find(std::string("## Kind `") + e.name + "`"), std::string::npos);
  const auto one = test::run_cnnfi("keys sfi");
  ASSERT_EQ(one.exit_code, 0);
  EXPECT_NE(one.out.find("`top_up`"), std::string::npos);
  EXPECT_EQ(one.out.find("`scrub`"), std::string::npos);
  const auto bad = test::run_cnnfi("keys nosuchkind");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("nosuchkind"), std::string::npos) << bad.output;
}

// Every key the table lists for a kind is read by that kind's parser (a wrong value may be
// refused, never the key); a key of another kind is refused naming the kinds that read it.
TEST(Keys, TheParserAcceptsExactlyTheTablesKeys) {
  const auto is_unknown = [](const std::string& msg) {
    return msg.find("unknown key") != std::string::npos || msg.find("is not read by kind") != std::string::npos;
  };
  int checked = 0;
  for (const auto& e : campaign::kinds()) {
    std::vector<std::string> keys = campaign::common_keys();
    for (const auto& k : e.keys) keys.push_back(k);
    for (const auto& key : keys) {
      if (key == "kind" || key == "model") continue;
      const std::string yaml = std::string("kind: ") + e.name + "\nmodel: m.onnx\n" + key + ": x\n";
      const std::string msg = test::error_of([&] { campaign::parse_campaign(yaml, "c.yaml"); });
      EXPECT_FALSE(is_unknown(msg)) << e.name << " " << key << ": " << msg;
      // The kind's own parser reads its keys: "x" is no repetitions, schedule, method, ... (paths
      // and data specs are checked when the campaign runs).
      const bool own = std::find(e.keys.begin(), e.keys.end(), key) != e.keys.end();
      if (own && key != "faults" && key != "calibration")
        EXPECT_NE(msg.find("'" + key + "'"), std::string::npos) << e.name << " " << key << ": " << msg;
      ++checked;
    }
  }
  EXPECT_GT(checked, 9 * 16);
  const std::string msg = test::error_of([] { campaign::parse_campaign("kind: sfi\nmodel: m.onnx\nscrub: 5\n", "c.yaml"); });
  EXPECT_NE(msg.find("key 'scrub' is not read by kind 'sfi' (it is for over-time)"), std::string::npos) << msg;
  const std::string typo = test::error_of([] { campaign::parse_campaign("kind: sfi\nmodel: m.onnx\neror: 0.1\n", "c.yaml"); });
  EXPECT_NE(typo.find("unknown key 'eror'"), std::string::npos) << typo;
  EXPECT_NE(typo.find("top_up"), std::string::npos) << typo;
}
