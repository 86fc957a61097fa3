// The one test main: tunes the allocator as the cnnfi binary does, then runs gtest.
#include <gtest/gtest.h>

#include "util/allocator.h"

int main(int argc, char** argv) {
  cnnfi::tune_allocator();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
