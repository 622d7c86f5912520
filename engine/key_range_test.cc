#include "engine/key_range.h"

#include <gtest/gtest.h>

namespace dsc::engine {
namespace {

TEST(PrefixSuccessor, IncrementsLastByte) { EXPECT_EQ(PrefixSuccessor("abc"), "abd"); }

TEST(PrefixSuccessor, CarriesPastMaxByte) {
  EXPECT_EQ(PrefixSuccessor("a\xff"), "b");
  EXPECT_EQ(PrefixSuccessor(std::string("a\xff\xff", 3)), "b");
}

TEST(PrefixSuccessor, NoneForEmptyOrAllMaxBytes) {
  EXPECT_EQ(PrefixSuccessor(""), std::nullopt);
  EXPECT_EQ(PrefixSuccessor("\xff\xff"), std::nullopt);
}

TEST(KeyRange, Contains_PrefixBounds) {
  KeyRange range = KeyRange::Prefix("task/");
  EXPECT_TRUE(range.Contains("task/"));
  EXPECT_TRUE(range.Contains("task/\xff"));
  EXPECT_FALSE(range.Contains("task"));
  EXPECT_FALSE(range.Contains("task0"));  // '0' follows '/'
}

TEST(KeyRange, Contains_HalfOpenRange) {
  KeyRange range{"b", "d"};
  EXPECT_FALSE(range.Contains("a"));
  EXPECT_TRUE(range.Contains("b"));
  EXPECT_TRUE(range.Contains("czz"));
  EXPECT_FALSE(range.Contains("d"));
  EXPECT_TRUE(KeyRange::All().Contains(""));
}

}  // namespace
}  // namespace dsc::engine
