// The deterministic Raft simulator as a test: thousands of seeded runs of
// a 3- and a 5-node cluster through crashes, partitions and a faulty
// network, checking safety after every step and liveness at the end.
//
//   DSC_RAFT_SIM_SEEDS=N      seeds per cluster size (default: kDefaultSeeds)
//   DSC_RAFT_SIM_SEED=S       run only seed S (replay a failure)
//   DSC_RAFT_SIM_TRACE=1      print every event of the run
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "nodes/raft/core/sim/simulator.h"

namespace dsc::raft::sim {
namespace {

// Sized for about 30 s of the whole suite on a 2-core machine. Debug builds
// also check every node's invariants inside the core after each step, and
// sanitizers slow everything down, so they run fewer seeds.
#if !defined(NDEBUG)
constexpr uint64_t kDefaultSeeds = 100;
#elif defined(__SANITIZE_ADDRESS__)
constexpr uint64_t kDefaultSeeds = 500;
#else
constexpr uint64_t kDefaultSeeds = 3000;
#endif

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::strtoull(value, nullptr, 10) : fallback;
}

std::string SelfPath() {
  char buffer[4096];
  const ssize_t n = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "raft_sim_test";
}

// Runs the configured seeds on a cluster of `nodes`; every failing seed
// is reported with the command line that replays it.
void RunSeeds(int nodes, const char* test_name) {
  const bool replay = std::getenv("DSC_RAFT_SIM_SEED") != nullptr;
  const uint64_t first = replay ? EnvNumber("DSC_RAFT_SIM_SEED", 1) : 1;
  const uint64_t count = replay ? 1 : EnvNumber("DSC_RAFT_SIM_SEEDS", kDefaultSeeds);
  const auto start = std::chrono::steady_clock::now();
  int failures = 0;
  SimResult total;
  for (uint64_t seed = first; seed < first + count && failures < 5; ++seed) {
    SimOptions options;
    options.seed = seed;
    options.nodes = nodes;
    options.trace = EnvNumber("DSC_RAFT_SIM_TRACE", 0) != 0;
    const SimResult result = RunSimulation(options);
    total.leaders += result.leaders;
    total.committed += result.committed;
    total.crashes += result.crashes;
    total.partitions += result.partitions;
    total.reads_served += result.reads_served;
    total.snapshots_installed += result.snapshots_installed;
    total.truncations += result.truncations;
    if (!result.ok) {
      ++failures;
      ADD_FAILURE() << "seed " << seed << " failed: " << result.failure << "\n  replay: "
                    << "DSC_RAFT_SIM_SEED=" << seed << " DSC_RAFT_SIM_TRACE=1 " << SelfPath()
                    << " --gtest_filter=RaftSim." << test_name;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto n = [](auto v) { return static_cast<unsigned long long>(v); };
  std::printf(
      "%d nodes: %llu seeds in %.1f s: %llu leaders, %llu entries committed, "
      "%llu crashes, %llu partitions, %llu reads served, %llu snapshots installed, "
      "%llu log truncations\n",
      nodes, n(count), seconds, n(total.leaders), n(total.committed), n(total.crashes),
      n(total.partitions), n(total.reads_served), n(total.snapshots_installed),
      n(total.truncations));
  // Runs that elect nobody, commit nothing or never reach the snapshot and
  // truncation paths would check little: make sure the mix is rich.
  if (!replay) {
    EXPECT_GT(total.leaders, count);
    EXPECT_GT(total.committed, count * 10);
    EXPECT_GT(total.reads_served, count);
    EXPECT_GT(total.snapshots_installed, count / 10);
    EXPECT_GT(total.truncations, count / 50);
  }
}

TEST(RaftSim, ThreeNodes) { RunSeeds(3, "ThreeNodes"); }
TEST(RaftSim, FiveNodes) { RunSeeds(5, "FiveNodes"); }

// A seed is a complete description of a run.
TEST(RaftSim, SameSeed_SameRun) {
  SimOptions options;
  options.seed = 4242;
  const SimResult a = RunSimulation(options);
  const SimResult b = RunSimulation(options);
  EXPECT_TRUE(a.ok) << a.failure;
  EXPECT_EQ(a.max_term, b.max_term);
  EXPECT_EQ(a.leaders, b.leaders);
  EXPECT_EQ(a.committed, b.committed);
  EXPECT_EQ(a.crashes, b.crashes);
}

// The checker must notice a real bug: storage that forgets the vote on a
// restart (as a node that replies before persisting would) lets a node
// vote twice in one term.
TEST(RaftSim, CatchesVotesLostInACrash) {
  bool caught = false;
  for (uint64_t seed = 1; seed <= 400 && !caught; ++seed) {
    SimOptions options;
    options.seed = seed;
    options.forget_votes = true;
    const SimResult result = RunSimulation(options);
    if (!result.ok) {
      caught = true;
      std::printf("forgotten votes caught by seed %llu: %s\n",
                  static_cast<unsigned long long>(seed), result.failure.c_str());
    }
  }
  EXPECT_TRUE(caught);
}

}  // namespace
}  // namespace dsc::raft::sim
