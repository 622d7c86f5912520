// Leader election: §5.2, the election restriction (§5.4.1), the stale-term
// rule (§5.1), pre-vote (thesis §9.6) and check-quorum (thesis §6.2).
#include <gtest/gtest.h>

#include <set>

#include "nodes/raft/core/raft_node.h"
#include "nodes/raft/core/raft_test_util.h"

namespace dsc::raft {
namespace {

using test_util::Drain;
using test_util::Msg;
using test_util::OfType;
using test_util::StateWithLog;
using test_util::TestCluster;
using test_util::TestConfig;
using test_util::TickTimes;

RaftConfig NoPreVote(RaftConfig config) {
  config.pre_vote = false;
  return config;
}

// §5.2: timeouts are random in [T, 2T) and reproducible from the seed.
TEST(Election, Timeout_IsRandomizedWithinRangeAndSeeded) {
  std::set<int> seen;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    RaftNode node(NoPreVote(TestConfig("n1", 3, seed)), RestoredState{});
    int ticks = 0;
    while (node.role() == Role::kFollower) {
      node.Tick();
      ++ticks;
    }
    EXPECT_GE(ticks, 10);
    EXPECT_LT(ticks, 20);
    seen.insert(ticks);
    RaftNode again(NoPreVote(TestConfig("n1", 3, seed)), RestoredState{});
    TickTimes(again, ticks - 1);
    EXPECT_EQ(again.role(), Role::kFollower) << "same seed, same timeout";
  }
  EXPECT_GT(seen.size(), 3u);
}

// §5.2: a candidate wins only with votes from a majority.
TEST(Election, Candidate_NeedsMajorityOfVotes) {
  RaftNode node(NoPreVote(TestConfig("n1", 5)), RestoredState{});
  TickTimes(node, 20);
  ASSERT_EQ(node.role(), Role::kCandidate);
  EXPECT_EQ(node.term(), 1u);
  EXPECT_EQ(node.vote(), "n1");
  const auto requests = OfType<VoteRequest>(Drain(node));
  EXPECT_EQ(requests.size(), 4u);

  ASSERT_TRUE(node.Step(Msg("n2", "n1", 1, VoteResponse{false, true})).ok());
  ASSERT_TRUE(node.Step(Msg("n2", "n1", 1, VoteResponse{false, true})).ok());  // duplicate
  ASSERT_TRUE(node.Step(Msg("n3", "n1", 1, VoteResponse{false, false})).ok());
  EXPECT_EQ(node.role(), Role::kCandidate) << "2 of 5 votes is no majority";
  ASSERT_TRUE(node.Step(Msg("n4", "n1", 1, VoteResponse{false, true})).ok());
  EXPECT_EQ(node.role(), Role::kLeader);
  EXPECT_EQ(node.leader(), "n1");
}

// §5.2: "each server will vote for at most one candidate in a given term".
TEST(Election, Vote_GrantedAtMostOncePerTerm) {
  RaftNode node(TestConfig("n1", 3), RestoredState{});
  ASSERT_TRUE(node.Step(Msg("n2", "n1", 1, VoteRequest{false, 0, 0})).ok());
  EXPECT_EQ(node.vote(), "n2");
  ASSERT_TRUE(node.Step(Msg("n3", "n1", 1, VoteRequest{false, 0, 0})).ok());
  ASSERT_TRUE(node.Step(Msg("n2", "n1", 1, VoteRequest{false, 0, 0})).ok());  // a retry
  const auto messages = Drain(node);
  const auto responses = OfType<VoteResponse>(messages);
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_TRUE(responses[0].second.granted);
  EXPECT_FALSE(responses[1].second.granted) << "n3 asked after the vote went to n2";
  EXPECT_TRUE(responses[2].second.granted) << "the same candidate may ask again";
  EXPECT_EQ(node.vote(), "n2");
}

// Figure 2 / ready.h: the vote reaches stable storage in the same Ready as
// the response that announces it, so it is persisted before it is sent.
TEST(Election, Vote_PersistedInTheReadyThatSendsIt) {
  RaftNode node(TestConfig("n1", 3), RestoredState{});
  ASSERT_TRUE(node.Step(Msg("n2", "n1", 4, VoteRequest{false, 0, 0})).ok());
  Ready ready = node.GetReady();
  ASSERT_TRUE(ready.hard_state.has_value());
  EXPECT_EQ(ready.hard_state->term, 4u);
  EXPECT_EQ(ready.hard_state->vote, "n2");
  ASSERT_EQ(ready.messages.size(), 1u);
  node.Advance(ready);
  EXPECT_FALSE(node.HasReady());
}

// §5.4.1: a voter refuses a candidate whose log is less up to date.
TEST(Election, Vote_RefusesLessUpToDateCandidate) {
  RaftNode node(TestConfig("n1", 3), StateWithLog(2, {1, 1, 2}));
  // Longer log but an older last term: refused (the term still advances).
  ASSERT_TRUE(node.Step(Msg("n2", "n1", 3, VoteRequest{false, 5, 1})).ok());
  EXPECT_EQ(node.term(), 3u);
  EXPECT_TRUE(node.vote().empty());
  // Same last term but shorter: refused.
  ASSERT_TRUE(node.Step(Msg("n2", "n1", 3, VoteRequest{false, 2, 2})).ok());
  // Same last term and as long: granted.
  ASSERT_TRUE(node.Step(Msg("n3", "n1", 3, VoteRequest{false, 3, 2})).ok());
  const auto responses = OfType<VoteResponse>(Drain(node));
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_FALSE(responses[0].second.granted);
  EXPECT_FALSE(responses[1].second.granted);
  EXPECT_TRUE(responses[2].second.granted);
  EXPECT_EQ(node.vote(), "n3");
}

// §5.1: a request with a stale term is rejected and answered with the
// current term; it changes nothing.
TEST(Election, Step_StaleTermIsRejected) {
  RaftNode node(TestConfig("n1", 3), StateWithLog(5, {1, 5}));
  const Message stale_append =
      Msg("n2", "n1", 3, AppendEntries{2, 5, {Entry{3, 3, EntryType::kNormal, "x"}}, 3, 0});
  ASSERT_TRUE(node.Step(stale_append).ok());
  ASSERT_TRUE(node.Step(Msg("n3", "n1", 4, VoteRequest{false, 9, 4})).ok());
  EXPECT_EQ(node.term(), 5u);
  EXPECT_EQ(node.log().LastIndex(), 2u);
  EXPECT_TRUE(node.leader().empty());
  EXPECT_TRUE(node.vote().empty());
  const auto messages = Drain(node);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].term, 5u);
  EXPECT_FALSE(std::get<AppendEntriesResponse>(messages[0].body).success);
  EXPECT_FALSE(std::get<VoteResponse>(messages[1].body).granted);
}

// §5.1: a leader that sees a higher term steps down.
TEST(Election, Leader_StepsDownOnHigherTerm) {
  TestCluster cluster(3);
  cluster.Campaign("n1");
  ASSERT_EQ(cluster.node("n1").role(), Role::kLeader);
  const Term term = cluster.node("n1").term();
  ASSERT_TRUE(cluster.node("n1").Step(Msg("n2", "n1", term + 1, AppendEntriesResponse{})).ok());
  EXPECT_EQ(cluster.node("n1").role(), Role::kFollower);
  EXPECT_EQ(cluster.node("n1").term(), term + 1);
}

// §8: a new leader appends a no-op of its term.
TEST(Election, NewLeader_AppendsNoop) {
  TestCluster cluster(3);
  cluster.Campaign("n2");
  RaftNode& leader = cluster.node("n2");
  ASSERT_EQ(leader.role(), Role::kLeader);
  const Entry& last = leader.log().At(leader.log().LastIndex());
  EXPECT_EQ(last.type, EntryType::kNoop);
  EXPECT_EQ(last.term, leader.term());
  EXPECT_EQ(leader.commit_index(), last.index) << "committed once replicated";
  EXPECT_EQ(cluster.node("n1").commit_index(), last.index);
}

// Thesis §9.6: a node cut off from the others keeps campaigning, but only
// in pre-votes, so its term stays put and it does not depose the leader
// when it returns.
TEST(Election, PreVote_PartitionedNodeKeepsItsTerm) {
  TestCluster cluster(3);
  cluster.Campaign("n1");
  ASSERT_EQ(cluster.node("n1").role(), Role::kLeader);
  const Term term = cluster.node("n1").term();
  cluster.Isolate("n3");
  cluster.TickAll(100);
  EXPECT_EQ(cluster.node("n3").term(), term) << "pre-votes must not bump the term";
  EXPECT_NE(cluster.node("n3").role(), Role::kLeader);
  cluster.Heal();
  cluster.TickAll(30);
  EXPECT_EQ(cluster.node("n1").role(), Role::kLeader);
  EXPECT_EQ(cluster.node("n1").term(), term);
  EXPECT_EQ(cluster.node("n3").leader(), "n1");
}

// Without pre-vote the same partition does bump the term and deposes the
// leader on return: the behaviour pre-vote exists to prevent.
TEST(Election, NoPreVote_PartitionedNodeDisruptsOnReturn) {
  TestCluster cluster(3, /*pre_vote=*/false, /*check_quorum=*/false);
  cluster.Campaign("n1");
  ASSERT_EQ(cluster.node("n1").role(), Role::kLeader);
  const Term term = cluster.node("n1").term();
  cluster.Isolate("n3");
  cluster.TickAll(100);
  EXPECT_GT(cluster.node("n3").term(), term + 2);
  cluster.Heal();
  cluster.TickAll(3);  // n3 answers the next heartbeat with its higher term
  EXPECT_GT(cluster.node("n1").term(), term);
}

// Thesis §6.2: a leader that cannot reach a majority steps down after an
// election timeout.
TEST(Election, CheckQuorum_IsolatedLeaderStepsDown) {
  TestCluster cluster(3);
  cluster.Campaign("n1");
  ASSERT_EQ(cluster.node("n1").role(), Role::kLeader);
  cluster.Isolate("n1");
  for (int i = 0; i < 25; ++i) cluster.node("n1").Tick();
  cluster.Deliver();
  EXPECT_EQ(cluster.node("n1").role(), Role::kFollower);
  EXPECT_FALSE(cluster.node("n1").Propose("x").ok());
}

TEST(Election, NoCheckQuorum_IsolatedLeaderStaysLeader) {
  TestCluster cluster(3, /*pre_vote=*/true, /*check_quorum=*/false);
  cluster.Campaign("n1");
  cluster.Isolate("n1");
  for (int i = 0; i < 25; ++i) cluster.node("n1").Tick();
  cluster.Deliver();
  EXPECT_EQ(cluster.node("n1").role(), Role::kLeader);
}

// A healthy leader keeps its followers' elections away with heartbeats.
TEST(Election, Heartbeats_KeepLeaderInPlace) {
  TestCluster cluster(5);
  cluster.Campaign("n4");
  const Term term = cluster.node("n4").term();
  cluster.TickAll(200);
  EXPECT_EQ(cluster.node("n4").role(), Role::kLeader);
  EXPECT_EQ(cluster.node("n4").term(), term);
}

TEST(Election, Propose_OnFollowerSaysNotLeader) {
  TestCluster cluster(3);
  cluster.Campaign("n1");
  const auto result = cluster.node("n2").Propose("x");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().IsUnavailable());
  EXPECT_EQ(cluster.node("n2").leader(), "n1");
}

}  // namespace
}  // namespace dsc::raft
