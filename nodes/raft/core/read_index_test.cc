// Linearizable reads by ReadIndex (§8, thesis §6.4).
#include <gtest/gtest.h>

#include "nodes/raft/core/raft_node.h"
#include "nodes/raft/core/raft_test_util.h"

namespace dsc::raft {
namespace {

using test_util::Drain;
using test_util::Msg;
using test_util::OfType;
using test_util::TestConfig;
using test_util::TickTimes;

// A three-node leader n1 in term 1 whose no-op (index 1) is committed;
// n2 and n3 are driven by hand.
class ReadIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RaftConfig config = TestConfig("n1", 3);
    config.pre_vote = false;
    leader_ = std::make_unique<RaftNode>(config, RestoredState{});
    TickTimes(*leader_, 20);
    ASSERT_TRUE(leader_->Step(Msg("n2", "n1", 1, VoteResponse{false, true})).ok());
    ASSERT_EQ(leader_->role(), Role::kLeader);
    Drain(*leader_);
    Ack("n2", 1, 0);
    Drain(*leader_);
    ASSERT_EQ(leader_->commit_index(), 1u);
  }

  void Ack(const NodeId& from, Index match, uint64_t round) {
    ASSERT_TRUE(
        leader_->Step(Msg(from, "n1", 1, AppendEntriesResponse{true, match, 0, 0, 0, round})).ok());
  }

  std::vector<ReadState> DrainReads(std::vector<Message>* messages = nullptr) {
    std::vector<ReadState> reads;
    auto sent = Drain(*leader_, nullptr, &reads);
    if (messages) *messages = sent;
    return reads;
  }

  std::unique_ptr<RaftNode> leader_;
};

// Thesis §6.4 step 2: no answer until a majority confirms leadership in a
// heartbeat round started after the read arrived.
TEST_F(ReadIndexTest, ReadIndex_NotAnsweredBeforeHeartbeatRound) {
  ASSERT_TRUE(leader_->ReadIndex("r1").ok());
  std::vector<Message> sent;
  EXPECT_TRUE(DrainReads(&sent).empty());
  const auto heartbeats = OfType<AppendEntries>(sent);
  ASSERT_EQ(heartbeats.size(), 2u) << "one heartbeat per follower";
  const uint64_t round = heartbeats[0].second.round;
  EXPECT_GT(round, 0u);

  Ack("n2", 1, round - 1);  // an answer to an older round proves nothing
  EXPECT_TRUE(DrainReads().empty());
  Ack("n3", 1, round);  // n1 + n3: a majority in this round
  const auto reads = DrainReads();
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].request_id, "r1");
  EXPECT_EQ(reads[0].index, 1u);
}

// A deposed leader forgets its pending reads instead of answering them.
TEST_F(ReadIndexTest, ReadIndex_DroppedWhenLeaderStepsDown) {
  ASSERT_TRUE(leader_->ReadIndex("r1").ok());
  ASSERT_TRUE(leader_->Step(Msg("n2", "n1", 2, AppendEntries{1, 1, {}, 1, 0})).ok());
  EXPECT_EQ(leader_->role(), Role::kFollower);
  Ack("n3", 1, 99);
  EXPECT_TRUE(DrainReads().empty());
  EXPECT_TRUE(leader_->ReadIndex("r2").IsUnavailable());
}

// The read index is the commit index when the read arrived; the read
// comes out no earlier than the Ready that applies that index.
TEST_F(ReadIndexTest, ReadIndex_ServedWithOrAfterApplyingItsIndex) {
  auto index = leader_->Propose("w");
  ASSERT_TRUE(index.ok());
  Drain(*leader_);
  Ack("n2", *index, 0);  // commits index 2 (not yet applied) ...
  ASSERT_EQ(leader_->commit_index(), 2u);
  ASSERT_EQ(leader_->applied_index(), 1u);
  ASSERT_TRUE(leader_->ReadIndex("r1").ok());  // ... before the read arrives
  Ack("n3", 2, 1);                             // confirms round 1
  Ready ready = leader_->GetReady();
  ASSERT_EQ(ready.read_states.size(), 1u);
  EXPECT_EQ(ready.read_states[0].index, 2u);
  ASSERT_FALSE(ready.committed_entries.empty());
  EXPECT_EQ(ready.committed_entries.back().index, 2u) << "applied before the read is served";
  leader_->Advance(ready);
}

// §8: a new leader must commit an entry of its own term before it knows
// the commit index; reads wait for that.
TEST(ReadIndex, NewLeader_WaitsForItsFirstCommit) {
  RaftConfig config = TestConfig("n1", 3);
  config.pre_vote = false;
  RaftNode leader(config, RestoredState{});
  TickTimes(leader, 20);
  ASSERT_TRUE(leader.Step(Msg("n2", "n1", 1, VoteResponse{false, true})).ok());
  ASSERT_TRUE(leader.ReadIndex("r1").ok());
  std::vector<ReadState> reads;
  Drain(leader, nullptr, &reads);
  // Even a heartbeat answer does not confirm: nothing of term 1 committed.
  ASSERT_TRUE(leader.Step(Msg("n2", "n1", 1, AppendEntriesResponse{false, 0, 0, 0, 1, 0})).ok());
  Drain(leader, nullptr, &reads);
  EXPECT_TRUE(reads.empty());
  ASSERT_TRUE(leader.Step(Msg("n2", "n1", 1, AppendEntriesResponse{true, 1, 0, 0, 0, 0})).ok());
  ASSERT_EQ(leader.commit_index(), 1u);
  std::vector<Message> sent = Drain(leader, nullptr, &reads);
  EXPECT_TRUE(reads.empty()) << "the round starts only after the no-op commits";
  const auto heartbeats = OfType<AppendEntries>(sent);
  ASSERT_FALSE(heartbeats.empty());
  ASSERT_TRUE(
      leader
          .Step(Msg("n3", "n1", 1,
                    AppendEntriesResponse{true, 1, 0, 0, 0, heartbeats.back().second.round}))
          .ok());
  Drain(leader, nullptr, &reads);
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].index, 1u);
}

TEST(ReadIndex, Follower_SaysNotLeader) {
  RaftNode node(TestConfig("n1", 3), RestoredState{});
  EXPECT_TRUE(node.ReadIndex("r").IsUnavailable());
}

}  // namespace
}  // namespace dsc::raft
