// SimStorage: one simulated node's stable storage.
//
// It holds exactly what the node's Ready batches told it to persist, and
// survives the node's crashes; everything the RaftNode held in memory is
// lost with it. That models "persist, then send": whatever a node said to
// others is on its disk.
//
// Thread-safety: not thread-safe.
#pragma once

#include <optional>
#include <vector>

#include "nodes/raft/core/raft_config.h"
#include "nodes/raft/core/ready.h"

namespace dsc::raft::sim {

class SimStorage {
 public:
  // Steps 1a-1d of the Ready contract (ready.h).
  void Persist(const Ready& ready);
  // The application's own snapshot: save it, drop the entries it covers.
  void SaveSnapshot(const Snapshot& snapshot);
  RestoredState Restore() const;

  const HardState& hard_state() const { return hard_state_; }
  const Snapshot& snapshot() const { return snapshot_; }
  // Does storage hold index `index` with term `term` (or a snapshot past it)?
  bool Covers(Index index, Term term) const;

  // Bug injection for testing the simulator itself: forget the vote on
  // every restart, as a node that replies before persisting would.
  bool forget_vote_on_restore = false;

 private:
  void DropThrough(Index index);

  HardState hard_state_;
  Snapshot snapshot_;
  std::vector<Entry> entries_;  // contiguous after snapshot_.index
};

}  // namespace dsc::raft::sim
