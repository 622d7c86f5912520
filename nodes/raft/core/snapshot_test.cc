// Snapshots and InstallSnapshot (§7).
#include <gtest/gtest.h>

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

TEST(Snapshot, Compact_OnlyWhatIsApplied) {
  TestCluster cluster(3);
  cluster.Campaign("n1");
  RaftNode& leader = cluster.node("n1");
  ASSERT_TRUE(leader.Propose("a").ok());
  cluster.Deliver();
  ASSERT_EQ(leader.applied_index(), 2u);
  EXPECT_TRUE(leader.Compact(3, "state").IsInvalidArgument());
  ASSERT_TRUE(leader.Compact(2, "state").ok());
  EXPECT_EQ(leader.log().snapshot_index(), 2u);
  EXPECT_EQ(leader.log().FirstIndex(), 3u);
}

// §7: a follower that needs compacted entries receives the snapshot, then
// the entries after it.
TEST(Snapshot, LaggingFollower_GetsInstallSnapshotAndCatchesUp) {
  TestCluster cluster(3);
  cluster.Campaign("n1");
  RaftNode& leader = cluster.node("n1");
  cluster.Isolate("n3");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(leader.Propose("v" + std::to_string(i)).ok());
  cluster.Deliver();
  ASSERT_EQ(leader.applied_index(), 6u);
  ASSERT_TRUE(leader.Compact(5, "image-through-5").ok());
  ASSERT_TRUE(leader.Propose("after").ok());
  cluster.Heal();
  cluster.TickAll(3);
  RaftNode& follower = cluster.node("n3");
  EXPECT_EQ(follower.log().snapshot_index(), 5u);
  EXPECT_EQ(follower.log().LastIndex(), leader.log().LastIndex());
  EXPECT_EQ(follower.commit_index(), leader.commit_index());
  int snapshots = 0;
  for (const Message& m : cluster.delivered()) {
    if (const auto* s = std::get_if<InstallSnapshot>(&m.body)) {
      ++snapshots;
      EXPECT_EQ(s->snapshot.data, "image-through-5");
    }
  }
  EXPECT_GE(snapshots, 1);
  // n3 applied the no-op (before the cut) and then everything after 5.
  const auto& applied = cluster.applied("n3");
  ASSERT_FALSE(applied.empty());
  EXPECT_EQ(applied.back().data, "after");
  EXPECT_EQ(applied.back().index, 7u);
}

// §7: "If existing log entry has same index and term as snapshot's last
// included entry, retain log entries following it".
TEST(Snapshot, Install_KeepsMatchingSuffixAndHandsOutTheSnapshot) {
  RaftNode node(TestConfig("n1", 3), StateWithLog(2, {1, 1, 2, 2}));
  ASSERT_TRUE(node.Step(Msg("n2", "n1", 2, InstallSnapshot{Snapshot{3, 2, "img"}, 0})).ok());
  EXPECT_EQ(node.log().FirstIndex(), 4u);
  EXPECT_EQ(node.log().LastIndex(), 4u);
  EXPECT_EQ(node.commit_index(), 3u);
  Ready ready = node.GetReady();
  ASSERT_TRUE(ready.snapshot.has_value());
  EXPECT_EQ(ready.snapshot->data, "img");
  EXPECT_FALSE(ready.truncate_after.has_value());
  EXPECT_TRUE(ready.committed_entries.empty()) << "the snapshot covers 1-3";
  node.Advance(ready);
  EXPECT_EQ(node.applied_index(), 3u);
}

TEST(Snapshot, Install_DiscardsConflictingLog) {
  RaftNode node(TestConfig("n1", 3), StateWithLog(3, {1, 1, 2, 2}));
  ASSERT_TRUE(node.Step(Msg("n2", "n1", 3, InstallSnapshot{Snapshot{3, 3, "img"}, 0})).ok());
  EXPECT_EQ(node.log().LastIndex(), 3u);
  Ready ready = node.GetReady();
  EXPECT_EQ(ready.truncate_after, 3u);
  node.Advance(ready);
}

// Checklist 8: a snapshot never moves commit or apply indexes backwards.
TEST(Snapshot, Install_OlderThanCommitIsIgnored) {
  TestCluster cluster(3);
  cluster.Campaign("n1");
  ASSERT_TRUE(cluster.node("n1").Propose("a").ok());
  cluster.Deliver();
  RaftNode& follower = cluster.node("n2");
  ASSERT_EQ(follower.commit_index(), 2u);
  const Term term = follower.term();
  ASSERT_TRUE(
      follower.Step(Msg("n1", "n2", term, InstallSnapshot{Snapshot{1, term, "old"}, 0})).ok());
  EXPECT_EQ(follower.commit_index(), 2u);
  EXPECT_EQ(follower.log().snapshot_index(), 0u);
  Ready ready = follower.GetReady();
  EXPECT_FALSE(ready.snapshot.has_value());
  const auto responses = OfType<InstallSnapshotResponse>(ready.messages);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].second.match_index, 2u);
  follower.Advance(ready);
}

// A node restarted from a snapshot and log resumes with them.
TEST(Snapshot, Restart_FromSnapshotAndLog) {
  RestoredState state;
  state.hard_state = HardState{3, "n2", 5};
  state.snapshot = Snapshot{4, 2, "img"};
  state.entries = {Entry{3, 5, EntryType::kNormal, "x"}, Entry{3, 6, EntryType::kNormal, "y"}};
  RaftNode node(TestConfig("n1", 3), state);
  EXPECT_EQ(node.applied_index(), 4u);
  EXPECT_EQ(node.commit_index(), 5u);
  std::vector<Entry> applied;
  Drain(node, &applied);
  ASSERT_EQ(applied.size(), 1u) << "re-applies the committed entries after the snapshot";
  EXPECT_EQ(applied[0].data, "x");
  EXPECT_TRUE(node.CheckInvariants().ok());
}

}  // namespace
}  // namespace dsc::raft
