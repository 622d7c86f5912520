#include "nodes/raft/message_json.h"

#include <gtest/gtest.h>

#include "nodes/raft/peer_transport.h"

namespace dsc::raft {
namespace {

Message M(MessageBody body, Term term = 3) { return Message{"n1", "n2", term, std::move(body)}; }

AppendEntries Append(Index prev, size_t n, Index commit = 0) {
  AppendEntries a{prev, 2, {}, commit, 7};
  for (size_t i = 0; i < n; ++i) {
    a.entries.push_back(Entry{3, prev + 1 + i, i == 0 ? EntryType::kNoop : EntryType::kNormal,
                              std::string("\x00\xff", 2)});
  }
  return a;
}

TEST(MessageJson, EveryTypeRoundTrips) {
  const std::vector<Message> messages = {
      M(VoteRequest{true, 9, 2}),
      M(VoteResponse{false, true}),
      M(Append(4, 2, 4)),
      M(AppendEntriesResponse{false, 0, 5, 2, 3, 7}),
      M(InstallSnapshot{Snapshot{10, 2, std::string("\x01\x02\x00", 3)}, 4}),
      M(InstallSnapshotResponse{10, 4}),
  };
  for (const Message& m : messages) {
    const std::string text = MessageToJson(m).dump();
    Result<Message> back = ParseMessage(text);
    ASSERT_TRUE(back.ok()) << text << ": " << back.status().ToString();
    EXPECT_EQ(MessageToJson(*back), MessageToJson(m));
    EXPECT_EQ(MessageToString(*back), MessageToString(m));
  }
}

TEST(MessageJson, NamesWhatIsWrong) {
  nlohmann::json good = MessageToJson(M(Append(4, 1)));
  struct Case {
    std::string text;
    std::string expect;
  };
  auto with = [&](const std::function<void(nlohmann::json&)>& change) {
    nlohmann::json j = good;
    change(j);
    return j.dump();
  };
  const std::vector<Case> cases = {
      {"not json", "malformed JSON"},
      {"[1,2]", "expected an object"},
      {std::string(100, '['), "nested too deeply"},
      {with([](auto& j) { j.erase("term"); }), "missing field \"term\""},
      {with([](auto& j) { j["term"] = -1; }), "\"term\": expected a non-negative integer"},
      {with([](auto& j) { j["type"] = "gossip"; }), "unknown type"},
      {with([](auto& j) { j["entries"] = 5; }), "\"entries\": expected an array"},
      {with([](auto& j) { j["entries"][0]["data"] = "!!"; }), "expected base64"},
      {with([](auto& j) { j["entries"][0]["type"] = "other"; }), "\"type\""},
      {with([](auto& j) { j["entries"][0]["index"] = 9; }), "must follow prev_log_index"},
  };
  for (const Case& c : cases) {
    Result<Message> parsed = ParseMessage(c.text);
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_TRUE(parsed.status().IsInvalidArgument());
    EXPECT_NE(parsed.status().message().find(c.expect), std::string::npos)
        << parsed.status().message();
  }
}

TEST(MessageJson, OnlyTheThreeRequestsGoToEndpoints) {
  EXPECT_TRUE(IsRequest(VoteRequest{}));
  EXPECT_TRUE(IsRequest(AppendEntries{}));
  EXPECT_TRUE(IsRequest(InstallSnapshot{}));
  EXPECT_FALSE(IsRequest(VoteResponse{}));
  EXPECT_FALSE(IsRequest(AppendEntriesResponse{}));
  EXPECT_FALSE(IsRequest(InstallSnapshotResponse{}));
}

TEST(PeerTransport, ANewerAppendFromTheSamePointSupersedesAnOlderOne) {
  EXPECT_TRUE(Supersedes(M(Append(4, 3, 4)), M(Append(4, 2, 4))));
  EXPECT_TRUE(Supersedes(M(Append(4, 0, 5)), M(Append(4, 0, 4))));   // heartbeats
  EXPECT_FALSE(Supersedes(M(Append(4, 1)), M(Append(4, 2))));        // fewer entries
  EXPECT_FALSE(Supersedes(M(Append(5, 3)), M(Append(4, 1))));        // another point
  EXPECT_FALSE(Supersedes(M(Append(4, 3), 4), M(Append(4, 1), 3)));  // another term
  EXPECT_FALSE(Supersedes(M(Append(4, 3, 3)), M(Append(4, 1, 4))));  // lower commit
  EXPECT_FALSE(Supersedes(M(VoteRequest{}), M(VoteRequest{})));
}

TEST(PeerTransport, AChainedAppendIsJoinedToThePreviousOne) {
  Message older = M(Append(4, 2, 4));  // entries 5, 6
  Message newer = M(Append(6, 3, 6));  // entries 7, 8, 9
  std::get<AppendEntries>(newer.body).round = 9;
  ASSERT_TRUE(AppendChained(older, newer));
  const auto& joined = std::get<AppendEntries>(older.body);
  ASSERT_EQ(joined.entries.size(), 5u);
  EXPECT_EQ(joined.entries.back().index, 9u);
  EXPECT_EQ(joined.prev_log_index, 4u);
  EXPECT_EQ(joined.leader_commit, 6u);
  EXPECT_EQ(joined.round, 9u);
  Message gap = M(Append(10, 1));
  EXPECT_FALSE(AppendChained(older, gap));  // entry 10 is not after 9
  Message other_term = M(Append(9, 1), 4);
  EXPECT_FALSE(AppendChained(older, other_term));
}

}  // namespace
}  // namespace dsc::raft
