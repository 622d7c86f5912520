// `dsc check raft` against five real Raft nodes (docs/RELIABILITY.md, family 3):
// concurrent clients under isolate, majority/minority and kill faults
// produce a history the linearizability checker must accept; the same
// checker must reject a cluster started with a rule broken on purpose.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <random>
#include <thread>

#include "tests/raft/raft_cluster.h"

namespace dsc::raft::testing {
namespace {

std::string NodesFlag(const RaftCluster& cluster) {
  std::string flag;
  for (int i = 0; i < cluster.size(); ++i) {
    if (i > 0) flag += ",";
    flag += cluster.Id(i) + "=" + cluster.Url(i);
  }
  return flag;
}

// Runs `dsc check raft` for `seconds` and returns its exit code.
int RunCheck(const RaftCluster& cluster, const std::string& nemesis, int seconds,
             const std::string& output_prefix, std::string* output) {
  node::testing::ChildProcess check(
      DSC_BINARY,
      {"check", "raft", "--nodes", NodesFlag(cluster), "--seconds", std::to_string(seconds),
       "--nemesis", nemesis, "--nemesis-interval", "1", "--clients", "5", "--history",
       output_prefix + ".jsonl"},
      output_prefix);
  std::optional<int> code = check.WaitExit(std::chrono::seconds(seconds + 90));
  *output = check.Stdout() + check.Stderr();
  return code.value_or(-1);
}

TEST(RaftCheckTest, HistoriesUnderIsolationAndMinorityPartitionsAreLinearizable) {
  RaftCluster cluster;
  cluster.StartAll();
  ASSERT_TRUE(cluster.WaitForLeader());
  for (const char* nemesis : {"isolate-leader", "minority"}) {
    std::string output;
    EXPECT_EQ(RunCheck(cluster, nemesis, 8, cluster.DataDir(0) + "-" + nemesis, &output), 0)
        << output;
    EXPECT_NE(output.find("verdict: linearizable"), std::string::npos) << output;
  }
}

TEST(RaftCheckTest, HistoryWhileNodesAreKilledAndRestartedIsLinearizable) {
  RaftCluster cluster;
  cluster.StartAll();
  ASSERT_TRUE(cluster.WaitForLeader());
  std::atomic<bool> done{false};
  std::thread nemesis([&] {
    std::mt19937 rng(7);
    while (!done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(700 + rng() % 600));
      if (done) break;
      // Prefer the leader: that is the fault that loses in-flight writes.
      std::optional<int> leader = cluster.WaitForLeader(2s);
      const int victim = leader && rng() % 2 == 0 ? *leader : static_cast<int>(rng() % 5);
      cluster.Kill(victim);
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 800));
      cluster.Start(victim);
    }
  });
  std::string output;
  const int code = RunCheck(cluster, "isolate-random", 10, cluster.DataDir(0) + "-kill", &output);
  done = true;
  nemesis.join();
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find("verdict: linearizable"), std::string::npos) << output;
}

// The exercise of session 10: reads served without ReadIndex (any node
// answers GET from its own state) must be caught.
TEST(RaftCheckTest, CatchesReadsServedWithoutReadIndex) {
  RaftCluster cluster(5, {"--break", "stale-reads"});
  cluster.StartAll();
  ASSERT_TRUE(cluster.WaitForLeader());
  std::string output;
  EXPECT_EQ(RunCheck(cluster, "minority", 8, cluster.DataDir(0) + "-broken", &output), 1) << output;
  EXPECT_NE(output.find("verdict: not linearizable"), std::string::npos) << output;
}

}  // namespace
}  // namespace dsc::raft::testing
