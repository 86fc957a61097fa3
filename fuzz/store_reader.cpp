// Result stores as readers open them: the file is checked as a cnnfi store and every row read
// back is validated.
#include "fuzz.h"
#include "store/store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const cnnfi::fuzz::TempFile f(data, size, ".db");
  cnnfi::fuzz::expect_clean([&] {
    cnnfi::store::Store st(f.path(), cnnfi::store::OpenMode::read);
    st.planned();
    st.golden();
    st.plan();
    st.trials();
    st.meta();
  });
  return 0;
}
