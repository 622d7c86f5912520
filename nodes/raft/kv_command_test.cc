#include "nodes/raft/kv_command.h"

#include <gtest/gtest.h>

namespace dsc::raft {
namespace {

KvCommand Cas() {
  KvCommand c;
  c.op = KvOp::kCas;
  c.key = "k";
  c.value = std::string("\x00\xff new", 6);
  c.expected = "old";
  c.client = "client-1";
  c.seq = 42;
  return c;
}

TEST(KvCommand, RoundTripsEveryOp) {
  KvCommand put;
  put.key = "x";
  put.value = "1";
  KvCommand del;
  del.op = KvOp::kDelete;
  del.key = "x";
  KvCommand cas_absent = Cas();
  cas_absent.expected.reset();
  for (const KvCommand& c : {put, del, Cas(), cas_absent}) {
    Result<KvCommand> back = DecodeKvCommand(EncodeKvCommand(c));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, c);
  }
}

TEST(KvCommand, RefusesEveryTruncationAndTrailingBytes) {
  const std::string bytes = EncodeKvCommand(Cas());
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_TRUE(DecodeKvCommand(bytes.substr(0, n)).status().IsCorruption()) << n;
  }
  EXPECT_TRUE(DecodeKvCommand(bytes + "x").status().IsCorruption());
}

TEST(KvCommand, RefusesUnknownVersionAndOp) {
  std::string bytes = EncodeKvCommand(Cas());
  bytes[0] = 9;
  EXPECT_TRUE(DecodeKvCommand(bytes).status().IsCorruption());
  bytes = EncodeKvCommand(Cas());
  bytes[1] = 0;
  EXPECT_TRUE(DecodeKvCommand(bytes).status().IsCorruption());
}

TEST(KvCommand, HasOneEncoding) {
  // Found by fuzz/raft_message_fuzz.cc: "no expected value" followed by
  // expected bytes decoded, and encoded back differently.
  KvCommand c = Cas();
  c.expected.reset();
  std::string bytes = EncodeKvCommand(c);
  const size_t flag = 2 + 4 + c.key.size() + 4 + c.value.size();
  ASSERT_EQ(bytes[flag], 0);
  bytes.replace(flag + 1, 4, std::string("\x01\x00\x00\x00x", 5));
  EXPECT_TRUE(DecodeKvCommand(bytes).status().IsCorruption());
}

TEST(KvCommand, JsonShowsTextAndBase64ForBytes) {
  nlohmann::json j = KvCommandToJson(Cas());
  EXPECT_EQ(j["op"], "cas");
  EXPECT_EQ(j["key"], "k");
  EXPECT_FALSE(j.contains("value"));
  EXPECT_EQ(j["value_base64"], "AP8gbmV3");
  EXPECT_EQ(j["expected"], "old");
  EXPECT_EQ(j["client"], "client-1");
  EXPECT_EQ(j["seq"], 42);
}

}  // namespace
}  // namespace dsc::raft
