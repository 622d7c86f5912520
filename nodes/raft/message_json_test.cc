#include "nodes/raft/message_json.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

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
      {"[1,2]", "must be a JSON object, got array"},
      {std::string(100, '['), "nested too deeply"},
      {with([](auto& j) { j.erase("term"); }), "missing field \"term\""},
      {with([](auto& j) { j["term"] = -1; }), "\"term\": -1 is out of range 0.."},
      {with([](auto& j) { j["type"] = "gossip"; }), "unknown type"},
      {with([](auto& j) { j["entries"] = 5; }), "\"entries\": expected an array, got number"},
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

// The whole message of a decoding failure; "" when it decoded.
std::string ProblemOf(const nlohmann::json& j) {
  Result<Message> parsed = MessageFromJson(j);
  if (parsed.ok()) return "";
  // InvalidArgument, which the node answers with 400 (raft_http.cc).
  EXPECT_TRUE(parsed.status().IsInvalidArgument()) << parsed.status().ToString();
  return parsed.status().message();
}

TEST(MessageJson, MessageFromJson_WrongTypedFieldIsNamed) {
  nlohmann::json append = MessageToJson(M(Append(4, 2)));
  append["prev_log_term"] = "two";
  EXPECT_EQ(ProblemOf(append), "message: field \"prev_log_term\": expected an integer, got string");

  append = MessageToJson(M(Append(4, 2)));
  append["entries"][1]["data"] = 7;
  EXPECT_EQ(ProblemOf(append), "entries[1]: field \"data\": expected a string, got number");

  nlohmann::json vote = MessageToJson(M(VoteRequest{true, 9, 2}));
  vote["pre_vote"] = "yes";
  EXPECT_EQ(ProblemOf(vote), "message: field \"pre_vote\": expected true or false, got string");

  nlohmann::json install = MessageToJson(M(InstallSnapshot{Snapshot{10, 2, "x"}, 4}));
  install["snapshot"] = "all of it";
  EXPECT_EQ(ProblemOf(install), "message: field \"snapshot\": expected an object, got string");
}

TEST(MessageJson, MessageFromJson_MissingFieldIsNamed) {
  nlohmann::json append = MessageToJson(M(Append(4, 2)));
  append.erase("round");
  EXPECT_EQ(ProblemOf(append), "message: missing field \"round\"");

  append = MessageToJson(M(Append(4, 2)));
  append["entries"][1].erase("index");
  EXPECT_EQ(ProblemOf(append), "entries[1]: missing field \"index\"");

  append = MessageToJson(M(Append(4, 2)));
  append["entries"] = nullptr;  // null is missing, as everywhere in JsonFields
  EXPECT_EQ(ProblemOf(append), "message: missing field \"entries\"");

  nlohmann::json install = MessageToJson(M(InstallSnapshot{Snapshot{10, 2, "x"}, 4}));
  install["snapshot"].erase("data");
  EXPECT_EQ(ProblemOf(install), "snapshot: missing field \"data\"");
}

TEST(MessageJson, MessageFromJson_IntegersAreNonNegativeInt64s) {
  nlohmann::json vote = MessageToJson(M(VoteRequest{false, 9, 2}));
  vote["last_log_index"] = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(ProblemOf(vote), "");
  vote["last_log_index"] = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(ProblemOf(vote), "message: field \"last_log_index\": integer too large");
  vote["last_log_index"] = 1.5;
  EXPECT_EQ(ProblemOf(vote), "message: field \"last_log_index\": expected an integer, got number");
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
