// Histories saved as JSON Lines read back equal, and bad lines are refused
// with the line number and the field at fault.
#include "nodes/raft/check/history.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "nodes/raft/check/check_test_util.h"

namespace dsc::raft::check {
namespace {

using testing::HistoryBuilder;
using testing::MakeFailed;
using testing::MakeUnknown;

History EveryKindOfOperation() {
  HistoryBuilder h;
  h.Put("k1", "a", 0, 1).node = "n1";
  h.Get("k1", "a", 2, 3);
  h.Get("k2", std::nullopt, 2, 3);
  h.Delete("k1", 4, 5);
  h.Cas("k1", std::nullopt, "b", /*swapped=*/true, 6, 7);
  Operation& cas = h.Cas("k1", "x", "c", /*swapped=*/false, 8, 9);
  cas.has_seen = true;
  cas.seen = "b";
  h.Cas("k1", "b", "d", /*swapped=*/false, 10, 11);  // 412 without the current value
  MakeUnknown(h.Put("k1", "e", 12, 13));
  MakeFailed(h.Delete("k2", 14, 15));
  History history = h.history();
  history.back().note = "http 421";
  return history;
}

TEST(HistoryTest, WriteThenRead_GivesBackTheSameHistory) {
  const History history = EveryKindOfOperation();
  std::stringstream text;
  WriteHistory(history, text);
  Result<History> read = ReadHistory(text);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, history);
}

TEST(HistoryTest, Write_OneJsonObjectPerLineIdFirst) {
  HistoryBuilder h;
  h.Put("k", "v", 1, 2);
  std::stringstream text;
  WriteHistory(h.history(), text);
  EXPECT_EQ(text.str(),
            "{\"id\":0,\"client\":0,\"op\":\"put\",\"key\":\"k\",\"value\":\"v\","
            "\"invoke_ns\":1000000,\"complete_ns\":2000000,\"outcome\":\"ok\"}\n");
}

TEST(HistoryTest, Read_SkipsBlankLines) {
  std::stringstream text(
      "\n{\"id\":1,\"op\":\"get\",\"key\":\"k\",\"invoke_ns\":1,\"complete_ns\":2,"
      "\"outcome\":\"ok\",\"seen\":null}\n  \n");
  Result<History> read = ReadHistory(text);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->size(), 1u);
  EXPECT_TRUE((*read)[0].has_seen);
  EXPECT_FALSE((*read)[0].seen.has_value());
}

TEST(HistoryTest, Read_BadLinesNameTheLineAndTheProblem) {
  const std::string good =
      "{\"id\":1,\"op\":\"put\",\"key\":\"k\",\"value\":\"v\",\"invoke_ns\":1,"
      "\"complete_ns\":2,\"outcome\":\"ok\"}\n";
  const struct {
    std::string line;
    std::string message;
  } cases[] = {
      {"not json", "line 2: not JSON"},
      {"[1,2]", "line 2: an operation must be a JSON object"},
      {"{\"op\":\"get\"}", "line 2: \"id\" must be an integer"},
      {"{\"id\":2,\"op\":\"scan\",\"key\":\"k\"}", "must be get, put, delete or cas"},
      {"{\"id\":2,\"op\":\"put\",\"key\":\"k\",\"invoke_ns\":1,\"complete_ns\":2,"
       "\"outcome\":\"ok\"}",
       "\"value\" must be a string"},
      {"{\"id\":2,\"op\":\"get\",\"key\":\"k\",\"invoke_ns\":5,\"complete_ns\":2,"
       "\"outcome\":\"ok\",\"seen\":null}",
       "\"complete_ns\" is before \"invoke_ns\""},
      {"{\"id\":2,\"op\":\"get\",\"key\":\"k\",\"invoke_ns\":1,\"complete_ns\":2,"
       "\"outcome\":\"ok\"}",
       "an ok get needs \"seen\""},
      {"{\"id\":2,\"op\":\"cas\",\"key\":\"k\",\"expected\":\"a\",\"value\":\"b\","
       "\"invoke_ns\":1,\"complete_ns\":2,\"outcome\":\"ok\"}",
       "an ok cas needs \"swapped\""},
      {"{\"id\":2,\"op\":\"get\",\"key\":\"k\",\"invoke_ns\":1,\"complete_ns\":2,"
       "\"outcome\":\"maybe\"}",
       "\"outcome\" must be ok, failed or unknown"},
  };
  for (const auto& c : cases) {
    std::stringstream text(good + c.line + "\n");
    Result<History> read = ReadHistory(text);
    ASSERT_FALSE(read.ok()) << c.line;
    EXPECT_TRUE(read.status().IsInvalidArgument()) << c.line;
    EXPECT_NE(read.status().message().find("line 2"), std::string::npos) << read.status().message();
    EXPECT_NE(read.status().message().find(c.message), std::string::npos)
        << read.status().message();
  }
}

TEST(HistoryTest, UnknownOperation_MayCompleteBeforeItsInvoke) {
  // An unknown operation's completion is only when the client gave up;
  // the checker ignores it, so a loaded history need not order it.
  std::stringstream text(
      "{\"id\":1,\"op\":\"delete\",\"key\":\"k\",\"invoke_ns\":5,\"complete_ns\":0,"
      "\"outcome\":\"unknown\"}\n");
  EXPECT_TRUE(ReadHistory(text).ok());
}

TEST(HistoryTest, SaveAndLoadFile_RoundTrip) {
  const History history = EveryKindOfOperation();
  const std::string path = ::testing::TempDir() + "/raft_check_history_test.jsonl";
  ASSERT_TRUE(SaveHistoryFile(history, path).ok());
  Result<History> loaded = LoadHistoryFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(*loaded, history);
  EXPECT_TRUE(LoadHistoryFile(path + ".missing").status().IsNotFound());
}

TEST(HistoryTest, DescribeOperation_ReadsLikeASentence) {
  HistoryBuilder h;
  h.Get("k", "a", 1, 2);
  Operation& cas = h.Cas("k", "a", "b", /*swapped=*/false, 3, 4);
  cas.has_seen = true;
  cas.seen = std::nullopt;
  MakeUnknown(h.Put("k", "c", 5, 6));
  EXPECT_EQ(DescribeOperation(h.history()[0]),
            "#0 client 0 get \"k\": read \"a\" [0.001000s, 0.002000s]");
  EXPECT_EQ(DescribeOperation(h.history()[1]),
            "#1 client 1 cas \"k\" \"a\" -> \"b\": not swapped, saw absent [0.003000s, 0.004000s]");
  EXPECT_EQ(DescribeOperation(h.history()[2]),
            "#2 client 2 put \"k\" \"c\": unknown [0.005000s, ?]");
}

}  // namespace
}  // namespace dsc::raft::check
