// RaftConfig and RestoredState: what a RaftNode is built from.
//
// Thread-safety: plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "nodes/raft/core/types.h"

namespace dsc::raft {

struct RaftConfig {
  NodeId id;                  // this node, e.g. "n1"
  std::vector<NodeId> peers;  // every member of the cluster, including `id`
  // Election timeout: each follower waits a random number of ticks in
  // [election_tick, 2 * election_tick) without hearing from a leader before
  // it campaigns. Randomness makes split votes rare (§5.2).
  int election_tick = 10;
  // A leader sends heartbeats every heartbeat_tick ticks; must be well
  // below election_tick so followers do not time out.
  int heartbeat_tick = 2;
  // Seeds the node's PRNG (election timeouts): the same seed, ticks and
  // messages give the same run.
  uint64_t seed = 1;
  // Thesis §9.6: ask "would you vote for me?" before starting an election,
  // so a node that was cut off cannot force a term change when it returns.
  bool pre_vote = true;
  // Thesis §6.2: a leader that has not heard from a majority within an
  // election timeout steps down, and followers that hear from a leader
  // ignore vote requests for that long.
  bool check_quorum = true;
  // Caps the entries in one AppendEntries message.
  size_t max_entries_per_message = 64;
};

// What the application restored from stable storage at start-up (all of
// it as a previous Ready told it to persist). Empty for a brand-new node.
struct RestoredState {
  HardState hard_state;
  Snapshot snapshot;           // index 0: no snapshot
  std::vector<Entry> entries;  // contiguous, starting at snapshot.index + 1
};

}  // namespace dsc::raft
