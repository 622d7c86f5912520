// Simulator: runs a Raft cluster through one seeded history of faults and
// checks Raft's safety properties after every step (sim_checker.h).
//
// Time is simulated in milliseconds; each node ticks every 10 ms (election
// timeouts of 100-200 ms). A run has two phases:
//   1. chaos: message delay, loss, duplication and reordering; random
//      partitions (majority/minority splits, isolated nodes); crashes and
//      restarts; client proposals, reads and log compaction;
//   2. calm: the network heals, every node restarts, nothing fails; a
//      leader must emerge and a proposal must commit on every node
//      (liveness).
// The same seed always produces the same run.
//
// Thread-safety: not thread-safe; one Simulator per thread.
#pragma once

#include <cstdint>
#include <string>

namespace dsc::raft::sim {

struct SimOptions {
  uint64_t seed = 1;
  int nodes = 0;              // 3 or 5; 0 picks one from the seed
  int64_t chaos_ms = 3000;    // length of the fault phase
  int64_t calm_ms = 2000;     // length of the liveness phase
  bool trace = false;         // print every event to stderr
  bool forget_votes = false;  // inject a storage bug (tests the checker)
};

struct SimResult {
  bool ok = true;
  std::string failure;  // the first violated property, with the time
  int nodes = 0;
  uint64_t max_term = 0;
  size_t leaders = 0;      // terms that had a leader
  uint64_t committed = 0;  // highest committed index
  int crashes = 0;
  int partitions = 0;
  uint64_t reads_served = 0;
  uint64_t snapshots_installed = 0;
  uint64_t truncations = 0;
};

SimResult RunSimulation(const SimOptions& options);

}  // namespace dsc::raft::sim
