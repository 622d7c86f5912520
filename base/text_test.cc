#include "base/text.h"

#include <gtest/gtest.h>

#include <string>

namespace dsc {
namespace {

TEST(IsValidUtf8, AcceptsAsciiAndMultibyteCharacters) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("worker-1"));
  EXPECT_TRUE(IsValidUtf8("h\xC3\xA9llo"));      // é
  EXPECT_TRUE(IsValidUtf8("\xE2\x82\xAC"));      // €
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));  // 😀
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last one
}

TEST(IsValidUtf8, RejectsMalformedSequences) {
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation byte
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\x80"));          // overlong NUL
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // UTF-16 surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("ok\xC3("));  // bad continuation
}

TEST(TruncateUtf8, CutsOnlyBetweenCharacters) {
  EXPECT_EQ(TruncateUtf8("hello", 10), "hello");
  EXPECT_EQ(TruncateUtf8("hello", 3), "hel");
  EXPECT_EQ(TruncateUtf8("h\xC3\xA9llo", 2), "h");  // é needs bytes 2 and 3
  EXPECT_EQ(TruncateUtf8("h\xC3\xA9llo", 3), "h\xC3\xA9");
  EXPECT_EQ(TruncateUtf8("abc", 0), "");
}

TEST(IsValidUtf8, AcceptsTextAndRejectsBadSequences) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("hello"));
  EXPECT_TRUE(IsValidUtf8("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"));  // é € 😀
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation byte
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
}

TEST(Base64Encode, MatchesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode(std::string("\x00\x01\x02\xff", 4)), "AAEC/w==");
}

TEST(JsonDepthAtMost, CountsNestingOutsideStrings) {
  EXPECT_TRUE(JsonDepthAtMost("1", 0));
  EXPECT_TRUE(JsonDepthAtMost("[1]", 1));
  EXPECT_FALSE(JsonDepthAtMost("[1]", 0));
  EXPECT_TRUE(JsonDepthAtMost(R"({"a":[1,{"b":2}]})", 3));
  EXPECT_FALSE(JsonDepthAtMost(R"({"a":[1,{"b":2}]})", 2));
  EXPECT_TRUE(JsonDepthAtMost(R"(["[[[[", "{{{{"])", 1));
  EXPECT_TRUE(JsonDepthAtMost(R"(["\"[[[["])", 1));  // an escaped quote stays inside
  EXPECT_FALSE(JsonDepthAtMost(std::string(1000, '['), 64));
}

TEST(Base64Decode, InvertsEncodeOnRfc4648Vectors) {
  for (std::string text : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(Base64Decode(Base64Encode(text)), text);
  }
  const std::string bytes("\x00\x01\x02\xff", 4);
  EXPECT_EQ(Base64Decode("AAEC/w=="), bytes);
}

TEST(Base64Decode, RefusesMalformedText) {
  EXPECT_EQ(Base64Decode("Zg="), std::nullopt);       // not a multiple of 4
  EXPECT_EQ(Base64Decode("Z!=="), std::nullopt);      // not in the alphabet
  EXPECT_EQ(Base64Decode("Zg==Zg=="), std::nullopt);  // padding in the middle
  EXPECT_EQ(Base64Decode("Z==="), std::nullopt);      // too much padding
}

}  // namespace
}  // namespace dsc
