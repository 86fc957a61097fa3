// Faults that arrive over time (seed 002): the segment-wise evaluation of kind over-time against
// a brute force written here, one image at a time with exactly the faults present at it.
#include <fstream>

#include <gtest/gtest.h>

#include "campaign/outcome.h"
#include "data/card.h"
#include "data/loader.h"
#include "data/spec.h"
#include "exec/executor.h"
#include "fault/injector.h"
#include "onnx/import.h"
#include "repr/format.h"
#include "store/store.h"
#include "support/support.h"

using namespace cnnfi;

TEST(OverTime, SegmentsEqualAPerImageBruteForceWithAndWithoutScrubbing) {
  const std::string model = test::source_dir() + "/models/lenet5-fmnist.onnx";
  for (int scrub : {0, 17}) {
    test::TempDir d;
    std::ofstream(d.file("c.yaml")) << "kind: over-time\nmodel: " << model
                                    << "\nlimit: 60\nbatch: 25\nrepetitions: 3\nschedule: [4, 40]\nbits: 23-30\nscrub: "
                                    << scrub << "\n";
    const auto r = test::run_cnnfi("run " + d.file("c.yaml") + " -o " + d.file("c.db"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    store::Store st(d.file("c.db"), store::OpenMode::read);
    const auto plans = st.plan();
    const auto trials = st.trials();
    ASSERT_EQ(trials.size(), 6u);
    // Brute force: image by image.
    exec::Executor ex(onnx_io::load_model(model));
    fault::WeightInjector inj(ex, repr::find_format("fp32"));
    data::DataSelection sel;
    sel.limit = 60;
    auto src = data::open_spec("fashion-mnist:test", sel, 0, 0);
    data::Loader loader(*src, data::PreprocessFlags{}.resolve(data::card_preprocess(model)), 1);
    int64_t differing = 0;
    for (size_t t = 0; t < trials.size(); ++t) {
      const auto& faults = plans[t].faults;
      ASSERT_EQ(trials[t].facts.size(), 60u);
      for (int64_t i = 0; i < 60; ++i) {
        const data::Batch b = loader.read(i, 1);
        const at::Tensor golden = ex.forward(b.images);
        std::vector<fault::WeightFault> present;
        for (const auto& f : faults)
          if (f.image <= i && (scrub == 0 || f.image >= i / scrub * scrub)) present.push_back(f);
        inj.inject(present);
        const at::Tensor faulty = ex.forward(b.images);
        inj.restore();
        std::vector<uint8_t> facts;
        campaign::append_facts(faulty, campaign::make_golden(golden, b.labels), facts);
        ASSERT_EQ(trials[t].facts[static_cast<size_t>(i)], facts[0]) << "scrub " << scrub << " trial " << t << " image " << i;
        differing += facts[0] != st.golden()[static_cast<size_t>(i)].facts;
      }
    }
    EXPECT_GT(differing, 0) << "no fault had any effect: the check would not see a wrong arrival";
  }
}
