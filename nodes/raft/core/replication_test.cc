// Log replication (§5.3), fast backtracking, and the commitment rules
// (§5.4.2, Figure 8).
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

Entry E(Index index, Term term) { return Entry{term, index, EntryType::kNormal, "new"}; }

AppendEntriesResponse OnlyResponse(RaftNode& node) {
  const auto responses = OfType<AppendEntriesResponse>(Drain(node));
  EXPECT_EQ(responses.size(), 1u);
  return responses.empty() ? AppendEntriesResponse{} : responses[0].second;
}

TEST(Replication, Proposals_AreAppliedEverywhereInOrder) {
  TestCluster cluster(3);
  cluster.Campaign("n1");
  ASSERT_TRUE(cluster.node("n1").Propose("a").ok());
  ASSERT_TRUE(cluster.node("n1").Propose("b").ok());
  cluster.Deliver();
  for (const NodeId id : {"n1", "n2", "n3"}) {
    const auto& applied = cluster.applied(id);
    ASSERT_EQ(applied.size(), 3u) << id;  // the leader's no-op, a, b
    EXPECT_EQ(applied[0].type, EntryType::kNoop);
    EXPECT_EQ(applied[1].data, "a");
    EXPECT_EQ(applied[2].data, "b");
    EXPECT_EQ(applied[2].index, 3u);
  }
}

// §5.3: the consistency check refuses entries whose predecessor we do not
// hold, and the rejection carries the fast-backtracking hint.
TEST(Replication, AppendEntries_RejectsPrevMismatchWithHint) {
  RaftNode node(TestConfig("n1", 3), StateWithLog(3, {1, 1, 2, 2}));
  ASSERT_TRUE(node.Step(Msg("n2", "n1", 3, AppendEntries{6, 3, {E(7, 3)}, 0, 0})).ok());
  AppendEntriesResponse r = OnlyResponse(node);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.rejected_index, 6u);
  EXPECT_EQ(r.conflict_term, 0u) << "we have no entry 6";
  EXPECT_EQ(r.conflict_index, 5u);

  ASSERT_TRUE(node.Step(Msg("n2", "n1", 3, AppendEntries{4, 3, {E(5, 3)}, 0, 0})).ok());
  r = OnlyResponse(node);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.conflict_term, 2u) << "our entry 4 has term 2";
  EXPECT_EQ(r.conflict_index, 3u) << "our term 2 starts at index 3";
  EXPECT_EQ(node.log().LastIndex(), 4u) << "a rejected request changes no entry";
}

// §5.3: a conflicting suffix goes, from the first conflicting entry on;
// the Ready tells storage to truncate before appending.
TEST(Replication, AppendEntries_TruncatesConflictingSuffix) {
  RaftNode node(TestConfig("n1", 3), StateWithLog(3, {1, 1, 2, 2}));
  ASSERT_TRUE(node.Step(Msg("n2", "n1", 3, AppendEntries{2, 1, {E(3, 3)}, 0, 0})).ok());
  EXPECT_EQ(node.log().LastIndex(), 3u);
  EXPECT_EQ(node.log().TermAt(3), 3u);
  Ready ready = node.GetReady();
  EXPECT_EQ(ready.truncate_after, 2u);
  ASSERT_EQ(ready.entries.size(), 1u);
  EXPECT_EQ(ready.entries[0], E(3, 3));
  ASSERT_EQ(ready.messages.size(), 1u);
  EXPECT_EQ(std::get<AppendEntriesResponse>(ready.messages[0].body).match_index, 3u);
  node.Advance(ready);
}

// Checklist 3: a stale or duplicated AppendEntries that matches must not
// erase the entries after it.
TEST(Replication, AppendEntries_StaleDuplicateDoesNotTruncate) {
  RaftNode node(TestConfig("n1", 3), StateWithLog(2, {1, 1, 2, 2}));
  const Entry second = test_util::EntriesWithTerms({1, 1})[1];
  ASSERT_TRUE(node.Step(Msg("n2", "n1", 2, AppendEntries{1, 1, {second}, 0, 0})).ok());
  EXPECT_EQ(node.log().LastIndex(), 4u);
  const AppendEntriesResponse r = OnlyResponse(node);
  EXPECT_TRUE(r.success);
  EXPECT_EQ(r.match_index, 2u) << "only what the message covered is known to match";
}

// Figure 2: commitIndex = min(leaderCommit, index of last new entry).
TEST(Replication, AppendEntries_CommitsOnlyWhatWasChecked) {
  RaftNode node(TestConfig("n1", 3), StateWithLog(2, {1, 1, 1}));
  ASSERT_TRUE(node.Step(Msg("n2", "n1", 2, AppendEntries{1, 1, {}, 3, 0})).ok());
  EXPECT_EQ(node.commit_index(), 1u) << "entries 2 and 3 were not checked against the leader";
}

// §5.3 with the conflict-term hint: the leader skips a whole term of a
// follower's divergent entries per round trip.
TEST(Replication, FastBacktracking_OneRoundPerConflictingTerm) {
  std::map<NodeId, RestoredState> states;
  states["n1"] = StateWithLog(5, {1, 4, 4, 4, 5});
  states["n3"] = StateWithLog(5, {1, 4, 4, 4, 5});
  states["n2"] = StateWithLog(3, {1, 2, 2, 2, 3, 3, 3, 3, 3, 3});
  TestCluster cluster(3, states);
  cluster.Campaign("n1");
  ASSERT_EQ(cluster.node("n1").role(), Role::kLeader);
  // Probes the leader had to make: the distinct prev indexes n2 rejected
  // (the leader may send the same probe twice, e.g. a heartbeat).
  std::set<Index> rejected_probes;
  for (const Message& m : cluster.delivered()) {
    const auto* r = std::get_if<AppendEntriesResponse>(&m.body);
    if (r && m.from == "n2" && !r->success) rejected_probes.insert(r->rejected_index);
  }
  // n2 diverges in two terms (3 at 5-10, 2 at 2-4): two probes fail, where
  // backing up one entry at a time would fail five times.
  EXPECT_EQ(rejected_probes, (std::set<Index>{5, 4}));
  const RaftLog& leader = cluster.node("n1").log();
  const RaftLog& follower = cluster.node("n2").log();
  ASSERT_EQ(follower.LastIndex(), leader.LastIndex());
  for (Index i = 1; i <= leader.LastIndex(); ++i) EXPECT_EQ(follower.TermAt(i), leader.TermAt(i));
}

// ANCHOR: figure8_test
// §5.4.2, Figure 8: an entry from an earlier term that sits on a majority
// is not committed by counting; once an entry of the current term is on a
// majority, both are.
TEST(Replication, Figure8_OldTermEntryOnMajorityIsNotCommitted) {
  RaftConfig config = TestConfig("n1", 5);
  config.pre_vote = false;
  // n1 holds entry 2 from term 2 (from a leader that crashed) and is
  // about to win term 4.
  RaftNode leader(config, StateWithLog(3, {1, 2}));
  TickTimes(leader, 20);
  ASSERT_EQ(leader.term(), 4u);
  ASSERT_TRUE(leader.Step(Msg("n2", "n1", 4, VoteResponse{false, true})).ok());
  ASSERT_TRUE(leader.Step(Msg("n3", "n1", 4, VoteResponse{false, true})).ok());
  ASSERT_EQ(leader.role(), Role::kLeader);
  Drain(leader);  // the no-op at index 3 is on the leader's disk now
  ASSERT_EQ(leader.log().LastIndex(), 3u);

  // n2 and n3 now hold entry 2 as well: n1, n2, n3 are a majority.
  ASSERT_TRUE(leader.Step(Msg("n2", "n1", 4, AppendEntriesResponse{true, 2, 0, 0, 0, 0})).ok());
  ASSERT_TRUE(leader.Step(Msg("n3", "n1", 4, AppendEntriesResponse{true, 2, 0, 0, 0, 0})).ok());
  EXPECT_EQ(leader.commit_index(), 0u)
      << "a term-2 entry on a majority may still be overwritten (Figure 8 d)";
  ASSERT_TRUE(leader.Step(Msg("n2", "n1", 4, AppendEntriesResponse{true, 3, 0, 0, 0, 0})).ok());
  EXPECT_EQ(leader.commit_index(), 0u) << "the no-op is on n1 and n2 only";
  ASSERT_TRUE(leader.Step(Msg("n3", "n1", 4, AppendEntriesResponse{true, 3, 0, 0, 0, 0})).ok());
  EXPECT_EQ(leader.commit_index(), 3u) << "the term-4 no-op commits, and entry 2 with it";
}
// ANCHOR_END: figure8_test

// A leader counts itself only for entries on its own stable storage.
TEST(Replication, Leader_CountsItselfOnlyAfterPersisting) {
  RaftConfig config = TestConfig("n1", 3);
  config.pre_vote = false;
  RaftNode leader(config, RestoredState{});
  TickTimes(leader, 20);
  ASSERT_TRUE(leader.Step(Msg("n2", "n1", 1, VoteResponse{false, true})).ok());
  ASSERT_EQ(leader.role(), Role::kLeader);  // no-op at 1, not yet persisted
  ASSERT_TRUE(leader.Step(Msg("n3", "n1", 1, AppendEntriesResponse{true, 1, 0, 0, 0, 0})).ok());
  EXPECT_EQ(leader.commit_index(), 0u) << "n3 alone is no majority while n1's copy is unstable";
  Drain(leader);  // persisted: now n1 and n3 hold it
  EXPECT_EQ(leader.commit_index(), 1u);
}

}  // namespace
}  // namespace dsc::raft
