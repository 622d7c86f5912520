// SimNode: one simulated server - a RaftNode, its storage, and a tiny
// state machine - that can crash and restart.
//
// The state machine folds every applied entry into a 64-bit digest, so
// two nodes agree on their state after index i exactly when their digests
// at i are equal. A snapshot is that digest. It also remembers the
// entries it applied (applied_log()), which the scenario tests read; with
// set_snapshot_history(true) a snapshot carries that history too, so a
// node restored from a snapshot knows every entry before it, like a real
// state machine knows its data.
//
// Thread-safety: not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "nodes/raft/core/raft_node.h"
#include "nodes/raft/core/sim/sim_checker.h"
#include "nodes/raft/core/sim/sim_network.h"
#include "nodes/raft/core/sim/sim_storage.h"

namespace dsc::raft::sim {

class SimNode {
 public:
  SimNode(RaftConfig config, SimChecker* checker) : config_(std::move(config)), checker_(checker) {}

  // Builds a RaftNode from storage (a fresh start or a restart).
  void Start(uint64_t seed);
  // Loses everything not on storage, including an untaken Ready.
  void Crash() { raft_.reset(); }
  bool up() const { return raft_ != nullptr; }
  RaftNode& raft() { return *raft_; }
  const RaftNode& raft() const { return *raft_; }
  const NodeId& id() const { return config_.id; }
  const SimStorage& storage() const { return storage_; }
  SimStorage& storage() { return storage_; }

  // Handles one Ready: persist, send, apply, serve reads, advance.
  void HandleReady(SimNetwork* network, int64_t now);
  // Snapshots the state machine at the applied index (§7).
  void Compact();
  // Records a read asked now, when `committed` was the highest commit index.
  void AskRead(const std::string& request_id, Index committed) { reads_[request_id] = committed; }

  uint64_t digest() const { return digest_; }
  // What this node went through, for the run's statistics.
  struct Counters {
    uint64_t reads_served = 0;
    uint64_t snapshots_installed = 0;
    uint64_t truncations = 0;
  };
  const Counters& counters() const { return counters_; }
  size_t applied_proposals() const { return applied_data_.size(); }
  bool HasApplied(const std::string& data) const { return applied_data_.contains(data); }
  // The entries this incarnation's state machine holds, by index (no-ops
  // included). Cleared by a crash-restart and rebuilt from storage, so a
  // test reading it after a restart sees what really survived. Without
  // snapshot history, entries below the last snapshot are missing.
  const std::map<Index, Entry>& applied_log() const { return applied_log_; }
  void set_snapshot_history(bool on) { snapshot_history_ = on; }

 private:
  void Apply(const Entry& entry);
  // Resets the state machine to a snapshot's image.
  void RestoreSnapshot(const Snapshot& snapshot);
  std::string SnapshotData() const;

  RaftConfig config_;
  SimChecker* checker_;
  SimStorage storage_;
  std::unique_ptr<RaftNode> raft_;
  uint64_t digest_ = 0;  // state after applying through raft_->applied_index()
  std::map<std::string, Index> applied_data_;  // client data -> index (for liveness)
  std::map<std::string, Index> reads_;         // pending read -> commit index when asked
  std::map<Index, Entry> applied_log_;
  bool snapshot_history_ = false;
  Counters counters_;
};

// Folds one entry into a state digest (FNV-1a style).
uint64_t NextDigest(uint64_t digest, const Entry& entry);

}  // namespace dsc::raft::sim
