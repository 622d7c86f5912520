// Raft scenario tests: scripted stories on a simulated cluster (SimCluster),
// in the spirit of MIT 6.5840's Raft tests. Each one states what it
// proves and which rule it protects; each also runs under SimChecker,
// which fails the test on any safety violation along the way (one leader
// per term, log matching, leader completeness, state machine safety,
// committed entries stay on a majority's storage).
//
// Every scenario uses fixed seeds, so a failure replays exactly;
// DSC_RAFT_SIM_TRACE=1 prints every message and event of the run, and
// DSC_RAFT_SCENARIO_SEEDS=N runs the looped scenarios over N seeds.
//
// Entry indexes: every new leader appends a no-op (§8), so a cluster's
// first client command lands at index 2, not 1.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "nodes/raft/core/sim/sim_cluster.h"

namespace dsc::raft::sim {
namespace {

constexpr int64_t kElectionMs = SimCluster::kElectionMs;

ClusterOptions Options(int nodes, uint64_t seed = 1) {
  ClusterOptions options;
  options.nodes = nodes;
  options.seed = seed;
  const char* trace = std::getenv("DSC_RAFT_SIM_TRACE");
  options.trace = trace != nullptr && *trace != '\0' && *trace != '0';
  return options;
}

std::string Cmd(int n) { return "c" + std::to_string(n); }

// Scenarios that make random choices run `fallback` seeds (1, 2, ...);
// DSC_RAFT_SCENARIO_SEEDS=N runs N instead, to hunt for rare failures.
uint64_t Seeds(uint64_t fallback) {
  const char* value = std::getenv("DSC_RAFT_SCENARIO_SEEDS");
  return value && *value ? std::strtoull(value, nullptr, 10) : fallback;
}

// The safety checker saw nothing wrong during the whole run.
#define EXPECT_SAFE(cluster) EXPECT_TRUE((cluster).ok()) << (cluster).failure()

// Where `data` sits in a node's state machine, if it was applied there.
std::optional<Index> AppliedAt(const SimCluster& cluster, const NodeId& id,
                               const std::string& data) {
  for (const auto& [index, entry] : cluster.applied(id)) {
    if (entry.type == EntryType::kNormal && entry.data == data) return index;
  }
  return std::nullopt;
}

// Two state machines agree on every index both have applied, and
// neither has a gap below its highest index (with snapshot history a
// state machine knows every entry from index 1).
void ExpectSameHistory(const SimCluster& cluster, const NodeId& a, const NodeId& b) {
  const auto& log_a = cluster.applied(a);
  const auto& log_b = cluster.applied(b);
  const size_t common = std::min(log_a.size(), log_b.size());
  auto ia = log_a.begin();
  auto ib = log_b.begin();
  for (size_t i = 0; i < common; ++i, ++ia, ++ib) {
    ASSERT_EQ(ia->first, i + 1) << a << " has a gap";
    ASSERT_EQ(ib->first, i + 1) << b << " has a gap";
    ASSERT_EQ(ia->second, ib->second) << a << " and " << b << " differ at index " << i + 1;
  }
}

// Every node has applied the same entries through index `through`.
void ExpectAllApplied(const SimCluster& cluster, Index through) {
  for (const NodeId& id : cluster.ids()) {
    const auto& log = cluster.applied(id);
    ASSERT_FALSE(log.empty()) << id;
    EXPECT_GE(log.rbegin()->first, through) << id << " is behind";
    ExpectSameHistory(cluster, cluster.ids()[0], id);
  }
}

// ---------------------------------------------------------------------------
// Leader election (§5.2)

// A fresh cluster elects exactly one leader, everyone learns its term, and
// with no failures nobody starts another election (heartbeats hold the
// followers' timers).
TEST(RaftScenario, InitialElection_OneStableLeader) {
  SimCluster cluster(Options(3));
  const auto leader = cluster.WaitForLeader();
  ASSERT_TRUE(leader);
  EXPECT_EQ(cluster.Leaders().size(), 1u);
  const Term term = cluster.raft(*leader).term();
  EXPECT_GE(term, 1u);
  ASSERT_TRUE(cluster.RunUntil(
      [&] {
        for (const NodeId& id : cluster.ids()) {
          if (cluster.raft(id).term() != term || cluster.raft(id).leader() != *leader) return false;
        }
        return true;
      },
      kElectionMs))
      << "followers never learned of the leader";

  cluster.RunFor(5 * kElectionMs);
  EXPECT_EQ(cluster.Leader(), leader) << "leader changed without any failure";
  for (const NodeId& id : cluster.ids()) EXPECT_EQ(cluster.raft(id).term(), term) << id;
  EXPECT_SAFE(cluster);
}

// A leader that loses its network is replaced; when it comes back it
// follows the new leader without disturbing it (pre-vote, thesis §9.6);
// without a majority nobody leads (check-quorum, thesis §6.2), and with
// one again somebody does.
TEST(RaftScenario, ReElection_AfterLeaderFailure) {
  SimCluster cluster(Options(3));
  const auto leader1 = cluster.WaitForLeader();
  ASSERT_TRUE(leader1);

  cluster.Disconnect(*leader1);
  const auto leader2 = cluster.WaitForLeader();
  ASSERT_TRUE(leader2) << "the majority side elected nobody";
  EXPECT_NE(*leader2, *leader1);
  const Term term2 = cluster.raft(*leader2).term();

  // The old leader rejoins: it must step down, not depose leader 2.
  cluster.Connect(*leader1);
  cluster.RunFor(kElectionMs);
  EXPECT_EQ(cluster.Leader(), leader2);
  EXPECT_EQ(cluster.Leaders().size(), 1u);
  EXPECT_NE(cluster.raft(*leader1).role(), Role::kLeader);
  EXPECT_EQ(cluster.raft(*leader2).term(), term2) << "the rejoining node forced a new term";

  // Cut leader 2 and one more node: the last one cannot win alone, and
  // the leader, hearing from nobody, must step down.
  NodeId other;
  for (const NodeId& id : cluster.ids()) {
    if (id != *leader1 && id != *leader2) other = id;
  }
  cluster.Disconnect(*leader2);
  cluster.Disconnect(other);
  cluster.RunFor(3 * kElectionMs);
  for (const NodeId& id : cluster.ids()) {
    EXPECT_NE(cluster.raft(id).role(), Role::kLeader) << id << " leads without a majority";
  }

  cluster.Connect(other);
  EXPECT_TRUE(cluster.WaitForLeader()) << "two of three connected, yet nobody leads";
  cluster.Connect(*leader2);
  cluster.RunFor(kElectionMs);
  EXPECT_EQ(cluster.Leaders().size(), 1u);
  EXPECT_SAFE(cluster);
}

// Seven nodes, three of them cut off at random again and again: the other
// four must always elect a leader, and no term ever has two (the checker).
TEST(RaftScenario, ManyElections_SevenNodes) {
  SimCluster cluster(Options(7, 7));
  ASSERT_TRUE(cluster.WaitForLeader());
  std::set<Term> terms_with_leader;
  for (int iteration = 0; iteration < 10; ++iteration) {
    std::set<NodeId> cut;
    while (cut.size() < 3) cut.insert(cluster.ids()[cluster.Random(7)]);
    for (const NodeId& id : cut) cluster.Disconnect(id);
    const auto leader = cluster.WaitForLeader();
    ASSERT_TRUE(leader) << "iteration " << iteration << ": four of seven elected nobody";
    EXPECT_FALSE(cut.contains(*leader));
    terms_with_leader.insert(cluster.raft(*leader).term());
    cluster.ConnectAll();
    cluster.RunFor(cluster.Random(2 * kElectionMs));
  }
  EXPECT_TRUE(cluster.WaitForLeader());
  EXPECT_GE(terms_with_leader.size(), 2u) << "the cuts never forced a new election";
  EXPECT_SAFE(cluster);
}

// ---------------------------------------------------------------------------
// Log replication (§5.3) and commitment (§5.4)

// Each command commits at the next index on every node; before it is
// proposed, nothing is committed there.
TEST(RaftScenario, BasicAgreement_EveryNodeAppliesEachCommand) {
  SimCluster cluster(Options(3));
  ASSERT_TRUE(cluster.WaitForLeader());
  Index expected = 2;  // after the leader's no-op
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(cluster.CountApplied(expected), 0) << "committed before it was proposed";
    const auto index = cluster.Commit(Cmd(i), 3, /*retry=*/false);
    ASSERT_TRUE(index) << Cmd(i) << " did not commit on all nodes";
    EXPECT_EQ(*index, expected);
    ++expected;
  }
  ExpectAllApplied(cluster, expected - 1);
  EXPECT_SAFE(cluster);
}

// A leader and one follower are a majority: they go on committing without
// the other follower, which catches up when it returns. A leader alone
// commits nothing.
TEST(RaftScenario, FollowerFailure_MajorityCommitsMinorityCannot) {
  SimCluster cluster(Options(3));
  ASSERT_TRUE(cluster.Commit(Cmd(101), 3, false));
  const NodeId leader = *cluster.Leader();
  std::vector<NodeId> followers;
  for (const NodeId& id : cluster.ids()) {
    if (id != leader) followers.push_back(id);
  }

  cluster.Disconnect(followers[0]);
  ASSERT_TRUE(cluster.Commit(Cmd(102), 2, false));
  ASSERT_TRUE(cluster.Commit(Cmd(103), 2, false));
  EXPECT_FALSE(AppliedAt(cluster, followers[0], Cmd(102)));

  cluster.Disconnect(followers[1]);
  const Index committed = cluster.max_committed();
  const auto index = cluster.Propose(leader, Cmd(104));
  ASSERT_TRUE(index) << "the leader should still accept proposals";
  cluster.RunFor(3 * kElectionMs);
  EXPECT_EQ(cluster.CountApplied(*index), 0) << "a lone leader committed an entry";
  EXPECT_EQ(cluster.max_committed(), committed);

  cluster.ConnectAll();
  ASSERT_TRUE(cluster.Commit(Cmd(105), 3));
  for (const NodeId& id : cluster.ids()) {
    EXPECT_TRUE(AppliedAt(cluster, id, Cmd(102))) << id;
    EXPECT_TRUE(AppliedAt(cluster, id, Cmd(103))) << id;
  }
  ExpectAllApplied(cluster, *AppliedAt(cluster, leader, Cmd(105)));
  EXPECT_SAFE(cluster);
}

// When the leader fails the others elect a new one and keep committing;
// when that one fails too, the last node cannot lead or commit alone.
TEST(RaftScenario, LeaderFailure_NewLeaderCommitsLoneNodeCannot) {
  SimCluster cluster(Options(3, 2));
  ASSERT_TRUE(cluster.Commit(Cmd(101), 3, false));
  const NodeId leader1 = *cluster.Leader();
  cluster.Disconnect(leader1);
  ASSERT_TRUE(cluster.Commit(Cmd(102), 2));
  const NodeId leader2 = *cluster.Leader();
  EXPECT_NE(leader2, leader1);
  ASSERT_TRUE(cluster.Commit(Cmd(103), 2));

  cluster.Disconnect(leader2);
  const Index committed = cluster.max_committed();
  EXPECT_FALSE(cluster.Commit(Cmd(104), 1, true, 3 * kElectionMs)) << "one node of three committed";
  EXPECT_TRUE(cluster.Leaders().empty());
  EXPECT_EQ(cluster.max_committed(), committed);

  cluster.ConnectAll();
  ASSERT_TRUE(cluster.Commit(Cmd(105), 3));
  ExpectAllApplied(cluster, *AppliedAt(cluster, leader1, Cmd(105)));
  EXPECT_SAFE(cluster);
}

// Five nodes with three cut off: the leader's entry reaches only two, so
// it must not commit. After healing, the cluster agrees again and, if the
// lost entry was kept, it is at the same index everywhere.
TEST(RaftScenario, NoAgreementWithoutMajority_FiveNodes) {
  SimCluster cluster(Options(5, 3));
  ASSERT_TRUE(cluster.Commit(Cmd(10), 5, false));
  const NodeId leader = *cluster.Leader();
  int cut = 0;
  for (const NodeId& id : cluster.ids()) {
    if (id != leader && cut < 3) {
      cluster.Disconnect(id);
      ++cut;
    }
  }
  const Index committed = cluster.max_committed();
  const auto index = cluster.Propose(leader, Cmd(20));
  ASSERT_TRUE(index);
  EXPECT_EQ(*index, committed + 1);
  cluster.RunFor(3 * kElectionMs);
  EXPECT_EQ(cluster.CountApplied(*index), 0) << "two of five committed an entry";
  EXPECT_EQ(cluster.max_committed(), committed) << "the minority side committed something";

  cluster.ConnectAll();
  const auto after = cluster.Commit(Cmd(30), 5);
  ASSERT_TRUE(after);
  EXPECT_GT(*after, *index);
  ExpectAllApplied(cluster, *after);
  EXPECT_SAFE(cluster);
}

// Commands proposed back to back, before any is acknowledged, all commit
// at consecutive indexes in the order proposed, with no change of leader.
TEST(RaftScenario, ConcurrentStarts_AllCommitInOrder) {
  SimCluster cluster(Options(3, 4));
  const auto leader = cluster.WaitForLeader();
  ASSERT_TRUE(leader);
  ASSERT_TRUE(cluster.Commit(Cmd(0), 3));
  const Term term = cluster.raft(*leader).term();
  std::vector<Index> indexes;
  for (int i = 1; i <= 5; ++i) indexes.push_back(*cluster.Propose(*leader, Cmd(i)));
  for (size_t i = 1; i < indexes.size(); ++i) EXPECT_EQ(indexes[i], indexes[i - 1] + 1);
  ASSERT_TRUE(
      cluster.RunUntil([&] { return cluster.CountApplied(indexes.back()) == 3; }, kElectionMs));
  for (int i = 1; i <= 5; ++i) {
    std::string data;
    EXPECT_EQ(cluster.CountApplied(indexes[i - 1], &data), 3);
    EXPECT_EQ(data, Cmd(i));
  }
  EXPECT_EQ(cluster.raft(*leader).term(), term);
  EXPECT_SAFE(cluster);
}

// A leader cut off keeps accepting commands it can never commit. The
// others elect a leader and commit on. When the old leader returns, its
// log is not up to date, so it cannot win (§5.4.1), and its uncommitted
// commands are overwritten (§5.3), never applied anywhere. Over several
// seeds, because which of the two remaining nodes times out first is up
// to their timers: the rule matters when the stale one does. Without
// pre-vote the stale leader returns with a much higher term (it kept
// campaigning alone) and campaigns at once, so only §5.4.1 stops it.
void RunRejoin(uint64_t seed, bool pre_vote) {
  ClusterOptions options = Options(3, seed);
  options.pre_vote = pre_vote;
  SimCluster cluster(options);
  ASSERT_TRUE(cluster.Commit(Cmd(101), 3, false));
  const NodeId leader1 = *cluster.Leader();
  cluster.Disconnect(leader1);
  for (int i = 102; i <= 104; ++i) ASSERT_TRUE(cluster.Propose(leader1, Cmd(i)));

  ASSERT_TRUE(cluster.Commit(Cmd(105), 2)) << cluster.failure();
  const NodeId leader2 = *cluster.Leader();
  NodeId third;
  for (const NodeId& id : cluster.ids()) {
    if (id != leader1 && id != leader2) third = id;
  }

  // Now leader 2 is cut off and leader 1 is back: only `third`, which has
  // 105, may lead; leader 1's stale log cannot win its vote.
  // Both campaign for a while first, so `third` no longer remembers leader
  // 2 (a node that heard from a leader ignores candidates, thesis §6.2).
  cluster.Disconnect(leader2);
  cluster.RunFor(2 * kElectionMs);
  EXPECT_TRUE(cluster.Leaders().empty());
  cluster.Connect(leader1);
  ASSERT_TRUE(cluster.Commit(Cmd(106), 2)) << cluster.failure();
  EXPECT_EQ(cluster.Leader(), third);

  cluster.ConnectAll();
  const auto last = cluster.Commit(Cmd(107), 3);
  ASSERT_TRUE(last);
  for (const NodeId& id : cluster.ids()) {
    for (int i = 102; i <= 104; ++i) {
      EXPECT_FALSE(AppliedAt(cluster, id, Cmd(i))) << id << " applied a stale entry " << Cmd(i);
    }
    EXPECT_TRUE(AppliedAt(cluster, id, Cmd(105))) << id;
    EXPECT_TRUE(AppliedAt(cluster, id, Cmd(106))) << id;
  }
  ExpectAllApplied(cluster, *last);
  EXPECT_SAFE(cluster);
}

TEST(RaftScenario, RejoinOfPartitionedLeader_ItsUncommittedEntriesVanish) {
  for (uint64_t seed = 1; seed <= Seeds(3); ++seed) {
    for (const bool pre_vote : {true, false}) {
      SCOPED_TRACE("seed " + std::to_string(seed) + (pre_vote ? " pre-vote" : " no pre-vote"));
      RunRejoin(seed, pre_vote);
    }
  }
}

// Fast backtracking (§5.3): nodes whose logs hold 50 uncommitted entries
// of an old term catch up with a leader whose log diverged over 50 other
// entries. Stepping back one entry per rejection would cost ~50 rejected
// AppendEntries per such node; with the conflict-term hint it costs one
// or two per divergent run of terms.
TEST(RaftScenario, Backup_FastBacktrackingOverDivergentLogs) {
  SimCluster cluster(Options(5, 6));
  ASSERT_TRUE(cluster.Commit("start", 5, false));
  const NodeId leader1 = *cluster.Leader();
  std::vector<NodeId> others;
  for (const NodeId& id : cluster.ids()) {
    if (id != leader1) others.push_back(id);
  }

  // Leader 1 and one follower take 50 entries that cannot commit.
  for (size_t i = 1; i < 4; ++i) cluster.Disconnect(others[i]);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(cluster.Propose(leader1, "lost1-" + std::to_string(i)));
  cluster.RunFor(50);
  cluster.Disconnect(leader1);
  cluster.Disconnect(others[0]);

  // The other three commit 50 entries of their own.
  for (size_t i = 1; i < 4; ++i) cluster.Connect(others[i]);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(cluster.Commit("won-" + std::to_string(i), 3));
  const NodeId leader2 = *cluster.Leader();

  // Leader 2 and one follower take 50 more that cannot commit: the other
  // follower is cut off.
  NodeId cut_follower;
  for (size_t i = 1; i < 4 && cut_follower.empty(); ++i) {
    if (others[i] != leader2) cut_follower = others[i];
  }
  cluster.Disconnect(cut_follower);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(cluster.Propose(leader2, "lost2-" + std::to_string(i)));
  cluster.RunFor(50);

  // Leader 1, its follower and the cut follower form a majority; the cut
  // follower has the committed entries, so it must be the one to lead.
  const NetworkStats before = cluster.stats();
  for (const NodeId& id : cluster.ids()) cluster.Disconnect(id);
  cluster.Connect(leader1);
  cluster.Connect(others[0]);
  cluster.Connect(cut_follower);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(cluster.Commit("won2-" + std::to_string(i), 3));
  EXPECT_EQ(cluster.Leader(), cut_follower);

  cluster.ConnectAll();
  const auto last = cluster.Commit("end", 5);
  ASSERT_TRUE(last);
  ExpectAllApplied(cluster, *last);
  for (const NodeId& id : cluster.ids()) {
    EXPECT_FALSE(AppliedAt(cluster, id, "lost1-0")) << id;
    EXPECT_FALSE(AppliedAt(cluster, id, "lost2-0")) << id;
  }
  // Four nodes had to find where their logs diverge from the leader's.
  const NetworkStats catch_up = cluster.stats() - before;
  EXPECT_GE(catch_up.append_rejections, 4u);
  EXPECT_LE(catch_up.append_rejections, 24u) << "backtracking is not skipping whole terms";
  std::printf("catching up over divergent logs: %llu rejected AppendEntries\n",
              static_cast<unsigned long long>(catch_up.append_rejections));
  EXPECT_SAFE(cluster);
}

// ---------------------------------------------------------------------------
// Message counts

// An election costs a bounded number of vote messages; an entry costs a
// bounded number of messages and is carried to each follower about once;
// an idle leader sends only heartbeats, at the configured rate, and no
// entries.
TEST(RaftScenario, MessageCounts_BoundedPerElectionAndPerEntry) {
  constexpr int kNodes = 3;
  SimCluster cluster(Options(kNodes, 8));
  const auto leader = cluster.WaitForLeader();
  ASSERT_TRUE(leader);
  const NetworkStats election = cluster.stats();
  const uint64_t votes = election.vote_requests + election.vote_responses;
  // One pre-vote round and one vote round: 2 requests and up to 2
  // responses each. A split vote or two may repeat that.
  EXPECT_GE(votes, 4u);
  EXPECT_LE(votes, 30u) << "too many vote messages for one election";
  const Term term = cluster.raft(*leader).term();

  constexpr int kEntries = 20;
  const std::string payload(1000, 'x');
  const NetworkStats before = cluster.stats();
  const int64_t start = cluster.now();
  for (int i = 0; i < kEntries; ++i) {
    ASSERT_TRUE(cluster.Commit(payload + std::to_string(i), kNodes, false));
  }
  const NetworkStats agreement = cluster.stats() - before;
  const int64_t elapsed = cluster.now() - start;
  // Per entry: an AppendEntries to each follower and its answer, then
  // another round that spreads the new commit index. Heartbeats (every 2
  // ticks) add a round per 20 ms, and the first entry may need a probe
  // round or two before the leader streams (SendAppend).
  const uint64_t per_round = 2 * (kNodes - 1);
  const auto heartbeat_rounds = static_cast<uint64_t>(elapsed / 20 + 1);
  EXPECT_LE(agreement.messages(), (2 * kEntries + heartbeat_rounds + 2) * per_round + 10)
      << "in " << elapsed << " ms";
  // A streaming leader sends an entry to a follower once; it goes again
  // only in a message that left while a probe was unanswered: never more
  // than twice, and never in every heartbeat.
  EXPECT_GE(agreement.entries, static_cast<uint64_t>(kEntries * (kNodes - 1)));
  EXPECT_LE(agreement.entries, static_cast<uint64_t>(2 * kEntries * (kNodes - 1)));
  EXPECT_LE(agreement.entry_bytes, 2 * kEntries * (kNodes - 1) * (payload.size() + 2));
  std::printf(
      "election: %llu vote messages; %d entries: %llu messages, %llu entry copies in %lld ms\n",
      static_cast<unsigned long long>(votes), kEntries,
      static_cast<unsigned long long>(agreement.messages()),
      static_cast<unsigned long long>(agreement.entries), static_cast<long long>(elapsed));
  EXPECT_EQ(agreement.vote_requests, 0u);

  const NetworkStats idle_before = cluster.stats();
  cluster.RunFor(1000);
  const NetworkStats idle = cluster.stats() - idle_before;
  // 1000 ms / 20 ms per heartbeat = 50 rounds to each follower.
  EXPECT_GE(idle.appends, 45u * (kNodes - 1)) << "heartbeats stopped";
  EXPECT_LE(idle.messages(), 52u * per_round);
  EXPECT_EQ(idle.entries, 0u) << "an idle leader resent entries";
  EXPECT_EQ(idle.vote_requests, 0u);
  EXPECT_EQ(cluster.raft(*leader).term(), term);
  EXPECT_SAFE(cluster);
}

// ---------------------------------------------------------------------------
// Persistence (Figure 2, "persistent state on all servers")

// Nodes crash and restart - all of them, the leader, a follower - and
// each committed command is still there afterwards: a restarted node's
// state machine (rebuilt from nothing but its storage) holds it at the
// same index.
TEST(RaftScenario, Persistence_CommittedEntriesSurviveCrashes) {
  SimCluster cluster(Options(3, 9));
  std::map<std::string, Index> committed;
  const auto commit = [&](int n, int expected) {
    const auto index = cluster.Commit(Cmd(n), expected);
    ASSERT_TRUE(index) << Cmd(n);
    committed[Cmd(n)] = *index;
  };
  commit(11, 3);
  for (const NodeId& id : cluster.ids()) cluster.Crash(id);
  for (const NodeId& id : cluster.ids()) cluster.Restart(id);
  for (const NodeId& id : cluster.ids()) EXPECT_TRUE(cluster.applied(id).empty());
  commit(12, 3);

  const NodeId leader1 = *cluster.Leader();
  cluster.Crash(leader1);
  cluster.Restart(leader1);
  commit(13, 3);

  const NodeId leader2 = *cluster.Leader();
  cluster.Crash(leader2);
  commit(14, 2);
  cluster.Restart(leader2);
  ASSERT_TRUE(cluster.RunUntil([&] { return AppliedAt(cluster, leader2, Cmd(14)).has_value(); },
                               3 * kElectionMs));

  NodeId follower;
  for (const NodeId& id : cluster.ids()) {
    if (id != *cluster.Leader()) follower = id;
  }
  cluster.Crash(follower);
  commit(15, 2);
  cluster.Restart(follower);
  commit(16, 3);

  for (const NodeId& id : cluster.ids()) {
    for (const auto& [data, index] : committed) {
      EXPECT_EQ(AppliedAt(cluster, id, data), index) << id << " lost " << data;
    }
  }
  ExpectAllApplied(cluster, committed[Cmd(16)]);
  EXPECT_SAFE(cluster);
}

// The leader and one follower commit while the third is cut off; then
// both crash. The entry they committed lives only on their storages, and
// must come back: the restarted leader (with the third node) commits on
// top of it, and the crashed follower catches up.
TEST(RaftScenario, Persistence_PartitionedLeaderAndFollowerCrash) {
  SimCluster cluster(Options(3, 10));
  ASSERT_TRUE(cluster.Commit(Cmd(101), 3));
  const NodeId leader = *cluster.Leader();
  std::vector<NodeId> followers;
  for (const NodeId& id : cluster.ids()) {
    if (id != leader) followers.push_back(id);
  }
  cluster.Disconnect(followers[1]);
  const auto index102 = cluster.Commit(Cmd(102), 2);
  ASSERT_TRUE(index102);
  cluster.Crash(leader);
  cluster.Crash(followers[0]);
  cluster.Connect(followers[1]);
  cluster.Restart(leader);
  ASSERT_TRUE(cluster.Commit(Cmd(103), 2));
  cluster.Restart(followers[0]);
  const auto last = cluster.Commit(Cmd(104), 3);
  ASSERT_TRUE(last);
  for (const NodeId& id : cluster.ids()) {
    EXPECT_EQ(AppliedAt(cluster, id, Cmd(102)), index102) << id;
  }
  ExpectAllApplied(cluster, *last);
  EXPECT_SAFE(cluster);
}

// ---------------------------------------------------------------------------
// Figure 8 (§5.4.2): leaders crash right after appending, leaving entries
// of old terms on some nodes. Counting replicas of such an entry to commit
// it would let a later leader overwrite a "committed" entry; the checker
// catches that. Small AppendEntries batches separate a new leader's no-op
// from the older entries before it, which is what makes the trap possible.

void RunFigure8(uint64_t seed, bool unreliable, int iterations) {
  ClusterOptions options = Options(5, seed);
  options.unreliable = unreliable;
  options.max_entries_per_message = 1;
  SimCluster cluster(options);
  ASSERT_TRUE(cluster.Commit("first", 1));
  int proposals = 0;
  int up = 5;
  for (int i = 0; i < iterations && cluster.ok(); ++i) {
    std::optional<NodeId> leader;
    for (const NodeId& id : cluster.ids()) {
      if (cluster.Propose(id, "f" + std::to_string(proposals))) leader = id;
    }
    ++proposals;
    // Mostly too short for the entry to reach everyone; sometimes long
    // enough for a new election.
    cluster.RunFor(cluster.Random(1000) < 100 ? cluster.Random(kElectionMs / 2)
                                              : cluster.Random(13));
    if (unreliable) {
      if (leader && cluster.Random(1000) < 500) cluster.Disconnect(*leader);
      int connected = 0;
      for (const NodeId& id : cluster.ids()) connected += cluster.connected(id) ? 1 : 0;
      if (connected < 3) {
        std::vector<NodeId> cut;
        for (const NodeId& id : cluster.ids()) {
          if (!cluster.connected(id)) cut.push_back(id);
        }
        cluster.Connect(cut[cluster.Random(cut.size())]);
      }
    } else {
      if (leader && cluster.up(*leader)) {
        cluster.Crash(*leader);
        --up;
      }
      if (up < 3) {
        std::vector<NodeId> down;
        for (const NodeId& id : cluster.ids()) {
          if (!cluster.up(id)) down.push_back(id);
        }
        cluster.Restart(down[cluster.Random(down.size())]);
        ++up;
      }
    }
  }
  for (const NodeId& id : cluster.ids()) cluster.Restart(id);
  cluster.ConnectAll();
  cluster.SetUnreliable(false);
  const auto last = cluster.Commit("final", 5, true, 20 * kElectionMs);
  ASSERT_TRUE(last) << "seed " << seed << ": " << cluster.failure();
  ExpectAllApplied(cluster, *last);
  // Leaders really did come and go (most pauses are shorter than an
  // election, so a few dozen terms per 1000 iterations).
  EXPECT_GE(cluster.leaders_by_term().size(), static_cast<size_t>(iterations / 40));
  EXPECT_SAFE(cluster);
}

TEST(RaftScenario, Figure8_CrashingLeaders) {
  for (uint64_t seed = 1; seed <= Seeds(3); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    RunFigure8(seed, /*unreliable=*/false, 1000);
  }
}

TEST(RaftScenario, Figure8Unreliable_PartitionedLeaders) {
  for (uint64_t seed = 1; seed <= Seeds(3); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    RunFigure8(seed, /*unreliable=*/true, 1000);
  }
}

// ---------------------------------------------------------------------------
// Unreliable network: loss, duplication, reordering and slow disks.

// Commands proposed through a lossy network all commit; once it heals
// every node has applied every one at the same index.
TEST(RaftScenario, UnreliableAgreement_AllCommandsCommit) {
  for (uint64_t seed = 1; seed <= Seeds(3); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    ClusterOptions options = Options(5, seed);
    options.unreliable = true;
    SimCluster cluster(options);
    std::set<std::string> acknowledged;
    for (int i = 1; i <= 50; ++i) {
      // Some proposals nobody waits for, then one a client waits for.
      if (const auto leader = cluster.Leader()) {
        for (int j = 0; j < 3; ++j) cluster.Propose(*leader, Cmd(100 * i + j));
      }
      ASSERT_TRUE(cluster.Commit(Cmd(i), 1)) << cluster.failure();
      acknowledged.insert(Cmd(i));
    }
    cluster.SetUnreliable(false);
    const auto last = cluster.Commit("final", 5);
    ASSERT_TRUE(last);
    ExpectAllApplied(cluster, *last);
    for (const NodeId& id : cluster.ids()) {
      for (const std::string& data : acknowledged) {
        EXPECT_TRUE(AppliedAt(cluster, id, data)) << id << " lacks " << data;
      }
    }
    EXPECT_SAFE(cluster);
  }
}

// ---------------------------------------------------------------------------
// Churn: nodes disconnect, crash and restart at random while clients keep
// proposing. Every command a client saw committed must end up on every
// node at the same index.

// A client that proposes on a random node and waits (in simulated time)
// to see its command applied at the index it was given.
class ChurnClient {
 public:
  explicit ChurnClient(int id) : id_(id) {}

  void Poll(SimCluster& cluster) {
    if (waiting_) {
      std::string data;
      if (cluster.CountApplied(index_, &data) > 0) {
        if (data == pending_) committed_[pending_] = index_;
        waiting_ = false;  // committed, or somebody else's entry won the index
      } else if (cluster.now() > deadline_) {
        waiting_ = false;  // give up, like a client timing out
      }
      return;
    }
    const NodeId& node = cluster.ids()[cluster.Random(cluster.ids().size())];
    pending_ = "k" + std::to_string(id_) + "-" + std::to_string(next_++);
    if (const auto index = cluster.Propose(node, pending_)) {
      waiting_ = true;
      index_ = *index;
      deadline_ = cluster.now() + 1000;
    }
  }
  const std::map<std::string, Index>& committed() const { return committed_; }

 private:
  int id_;
  int next_ = 0;
  bool waiting_ = false;
  std::string pending_;
  Index index_ = 0;
  int64_t deadline_ = 0;
  std::map<std::string, Index> committed_;
};

void RunChurn(uint64_t seed, bool unreliable) {
  ClusterOptions options = Options(5, seed);
  options.unreliable = unreliable;
  SimCluster cluster(options);
  std::vector<ChurnClient> clients;
  for (int i = 0; i < 3; ++i) clients.emplace_back(i);
  const auto run = [&](int64_t ms) {
    for (int64_t t = 0; t < ms; t += 5) {
      for (ChurnClient& client : clients) client.Poll(cluster);
      cluster.RunFor(5);
    }
  };
  for (int i = 0; i < 30 && cluster.ok(); ++i) {
    const NodeId& victim = cluster.ids()[cluster.Random(5)];
    if (cluster.Random(1000) < 200) cluster.Disconnect(victim);
    const NodeId& back = cluster.ids()[cluster.Random(5)];
    if (cluster.Random(1000) < 500) {
      cluster.Restart(back);
      cluster.Connect(back);
    }
    if (cluster.Random(1000) < 200) cluster.Crash(cluster.ids()[cluster.Random(5)]);
    run(7 * kElectionMs / 10);
  }
  cluster.SetUnreliable(false);
  for (const NodeId& id : cluster.ids()) cluster.Restart(id);
  cluster.ConnectAll();
  run(kElectionMs);
  const auto last = cluster.Commit("final", 5, true, 20 * kElectionMs);
  ASSERT_TRUE(last) << cluster.failure();
  ExpectAllApplied(cluster, *last);
  size_t seen = 0;
  for (const ChurnClient& client : clients) {
    for (const auto& [data, index] : client.committed()) {
      ++seen;
      for (const NodeId& id : cluster.ids()) {
        EXPECT_EQ(AppliedAt(cluster, id, data), index) << id << " lacks " << data;
      }
    }
  }
  // The clients got work done despite the churn.
  EXPECT_GE(seen, 20u);
  EXPECT_SAFE(cluster);
}

TEST(RaftScenario, ReliableChurn_AcknowledgedCommandsSurvive) {
  for (uint64_t seed = 1; seed <= Seeds(2); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    RunChurn(seed, /*unreliable=*/false);
  }
}

TEST(RaftScenario, UnreliableChurn_AcknowledgedCommandsSurvive) {
  for (uint64_t seed = 1; seed <= Seeds(3); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    RunChurn(seed, /*unreliable=*/true);
  }
}

// ---------------------------------------------------------------------------
// Snapshots (§7). Each node snapshots its state machine every 10 applied
// entries; the snapshot carries the whole state (every applied command).

ClusterOptions SnapshotOptions(int nodes, uint64_t seed) {
  ClusterOptions options = Options(nodes, seed);
  options.compact_every = 10;
  return options;
}

// Compaction keeps the in-memory log short, and a node restarted from
// its snapshot has the whole state back before it hears from anyone.
TEST(RaftScenario, SnapshotBasic_LogStaysShortStateSurvivesRestart) {
  SimCluster cluster(SnapshotOptions(3, 11));
  Index last = 0;
  for (int i = 0; i < 60; ++i) {
    const auto index = cluster.Commit(Cmd(i), 3);
    ASSERT_TRUE(index);
    last = *index;
  }
  for (const NodeId& id : cluster.ids()) {
    EXPECT_GT(cluster.raft(id).log().snapshot_index(), last - 20) << id;
    EXPECT_LE(cluster.raft(id).log().entries().size(), 20u) << id << "'s log keeps growing";
  }
  const NodeId follower = cluster.ids()[0] == *cluster.Leader() ? "n2" : "n1";
  const Index snapshot = cluster.storage(follower).snapshot().index;
  ASSERT_GT(snapshot, 0u);
  cluster.Crash(follower);
  cluster.Restart(follower);
  // Straight from storage: the snapshot's state, every command through it.
  const auto& restored = cluster.applied(follower);
  ASSERT_FALSE(restored.empty());
  EXPECT_EQ(restored.rbegin()->first, snapshot);
  for (int i = 0; i < 60; ++i) {
    const auto at = AppliedAt(cluster, *cluster.Leader(), Cmd(i));
    if (*at <= snapshot) {
      EXPECT_EQ(AppliedAt(cluster, follower, Cmd(i)), at) << Cmd(i);
    }
  }
  ASSERT_TRUE(cluster.Commit("after", 3));
  ExpectAllApplied(cluster, last + 1);
  EXPECT_SAFE(cluster);
}

// A node misses so much (cut off, or crashed) that the leader has
// compacted the entries it needs: it must receive an InstallSnapshot, and
// its state machine must then equal the leader's. Sometimes the victim is
// the leader itself.
void RunSnapshotInstall(uint64_t seed, bool unreliable, bool crash, int iterations) {
  ClusterOptions options = SnapshotOptions(3, seed);
  options.unreliable = unreliable;
  SimCluster cluster(options);
  ASSERT_TRUE(cluster.Commit("start", 3));
  int command = 0;
  for (int i = 0; i < iterations && cluster.ok(); ++i) {
    const NodeId leader = *cluster.WaitForLeader();
    const NodeId victim =
        i % 3 == 1 ? leader : cluster.ids()[(std::stoi(leader.substr(1)) % 3)];  // next node
    const Index victim_last = cluster.raft(victim).log().LastIndex();
    const uint64_t installed = cluster.node(victim).counters().snapshots_installed;
    if (crash) {
      cluster.Crash(victim);
    } else {
      cluster.Disconnect(victim);
    }
    // Enough commands that every live node snapshots past the victim's log.
    for (int j = 0; j < 11; ++j)
      ASSERT_TRUE(cluster.Commit(Cmd(command++), 2)) << cluster.failure();
    for (const NodeId& id : cluster.ids()) {
      if (id != victim) {
        ASSERT_GT(cluster.raft(id).log().snapshot_index(), victim_last) << id;
      }
    }
    cluster.Restart(victim);
    cluster.Connect(victim);
    const auto index = cluster.Commit(Cmd(command++), 3);
    ASSERT_TRUE(index) << cluster.failure();
    EXPECT_GT(cluster.node(victim).counters().snapshots_installed, installed)
        << "iteration " << i << ": " << victim << " caught up without a snapshot";
    const NodeId now_leader = *cluster.Leader();
    ExpectSameHistory(cluster, now_leader, victim);
    ASSERT_TRUE(cluster.RunUntil(
        [&] {
          return cluster.raft(victim).applied_index() == cluster.raft(now_leader).applied_index();
        },
        kElectionMs));
    EXPECT_EQ(cluster.node(victim).digest(), cluster.node(now_leader).digest())
        << "state machines differ after the snapshot";
  }
  EXPECT_GT(cluster.stats().snapshots, 0u);
  EXPECT_SAFE(cluster);
}

TEST(RaftScenario, SnapshotInstall_DisconnectedFollowerAndLeader) {
  RunSnapshotInstall(12, /*unreliable=*/false, /*crash=*/false, 15);
}

TEST(RaftScenario, SnapshotInstallUnreliable) {
  for (uint64_t seed = 1; seed <= Seeds(3); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    RunSnapshotInstall(seed, /*unreliable=*/true, /*crash=*/false, 10);
  }
}

TEST(RaftScenario, SnapshotInstallCrash_VictimRestartsFromOldSnapshot) {
  RunSnapshotInstall(13, /*unreliable=*/false, /*crash=*/true, 15);
}

// Every node crashes at once, several times, with snapshots and log
// entries on disk. After each restart every node's state machine (snapshot
// plus re-applied entries) holds every command committed before the crash,
// at the same index, and the cluster commits on top of it.
TEST(RaftScenario, AllCrash_EveryCommittedEntrySurvives) {
  SimCluster cluster(SnapshotOptions(3, 14));
  std::map<std::string, Index> committed;
  int command = 0;
  for (int round = 0; round < 5; ++round) {
    for (int j = 0; j < 13; ++j) {
      const std::string data = Cmd(command++);
      const auto index = cluster.Commit(data, 1);
      ASSERT_TRUE(index) << cluster.failure();
      committed[data] = *index;
    }
    for (const NodeId& id : cluster.ids()) cluster.Crash(id);
    for (const NodeId& id : cluster.ids()) {
      cluster.Restart(id);
      EXPECT_EQ(cluster.raft(id).term(), cluster.storage(id).hard_state().term);
    }
    const auto index = cluster.Commit(Cmd(command), 3);
    ASSERT_TRUE(index) << cluster.failure();
    committed[Cmd(command++)] = *index;
    // Everything committed is on every node, through the latest command.
    ASSERT_TRUE(cluster.RunUntil(
        [&] {
          for (const NodeId& id : cluster.ids()) {
            if (cluster.raft(id).applied_index() < *index) return false;
          }
          return true;
        },
        kElectionMs));
    for (const NodeId& id : cluster.ids()) {
      for (const auto& [data, at] : committed) {
        EXPECT_EQ(AppliedAt(cluster, id, data), at) << id << " lost " << data;
      }
    }
  }
  EXPECT_SAFE(cluster);
}

}  // namespace
}  // namespace dsc::raft::sim
