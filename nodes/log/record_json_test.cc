#include "nodes/log/record_json.h"

#include <gtest/gtest.h>

namespace dsc::lognode {
namespace {

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

TEST(RecordToJson, TextAsStringBytesAsBase64) {
  nlohmann::json text = RecordToJson(wal::Record{7, 3, "hi"});
  EXPECT_EQ(text, (nlohmann::json{{"lsn", 7}, {"type", 3}, {"payload", "hi"}}));
  nlohmann::json bytes = RecordToJson(wal::Record{8, 1, std::string("\x00\x01\x02\xff", 4)});
  EXPECT_EQ(bytes["payload"], "AAEC/w==");
  EXPECT_EQ(bytes["encoding"], "base64");
}

}  // namespace
}  // namespace dsc::lognode
