#include <gtest/gtest.h>

#include "util/error.h"
#include "util/strings.h"

using namespace cnnfi;

TEST(Strings, ParseFloatsNamesTheOptionOnError) {
  EXPECT_EQ(parse_floats("0.5, 1,2e-1", "--mean"), (std::vector<float>{0.5f, 1.0f, 0.2f}));
  try {
    parse_floats("0.5,abc", "--mean");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--mean"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("abc"), std::string::npos);
  }
}

TEST(Strings, ParseHw) {
  EXPECT_EQ(parse_hw("32x28", "--resize"), (std::pair<int, int>{32, 28}));
  EXPECT_THROW(parse_hw("32", "--resize"), Error);
  EXPECT_THROW(parse_hw("0x5", "--resize"), Error);
}
