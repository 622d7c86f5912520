#include "nodes/common/url_query.h"

#include <gtest/gtest.h>

namespace dsc::node {
namespace {

TEST(PercentDecode, DecodesEscapesAndKeepsBrokenOnes) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("100%", false), "100%");
  EXPECT_EQ(PercentDecode("%zz%4", false), "%zz%4");
  EXPECT_EQ(PercentDecode("%41", false), "A");
}

TEST(TargetPath, DropsTheQueryAndDecodes) {
  EXPECT_EQ(TargetPath("/kv/a%20b?stale=true"), "/kv/a b");
  EXPECT_EQ(TargetPath("/health"), "/health");
  EXPECT_EQ(TargetPath("/"), "/");
}

TEST(TargetQuery, FindsTheFirstValue) {
  EXPECT_EQ(TargetQuery("/r?from=3&limit=10", "limit"), "10");
  EXPECT_EQ(TargetQuery("/r?from=3&from=4", "from"), "3");
  EXPECT_EQ(TargetQuery("/r?stale", "stale"), "");
  EXPECT_EQ(TargetQuery("/r?x=a+b%21", "x"), "a b!");
  EXPECT_EQ(TargetQuery("/r?x=1", "y"), std::nullopt);
  EXPECT_EQ(TargetQuery("/r", "x"), std::nullopt);
  EXPECT_EQ(TargetQuery("/r?a=1&&b=2", "b"), "2");
}

}  // namespace
}  // namespace dsc::node
