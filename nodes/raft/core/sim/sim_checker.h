// SimChecker: Raft's safety properties (§5.2-§5.4, Figure 3), checked
// against everything the simulated nodes do.
//
//   Election Safety      at most one leader per term.
//   Log Matching         two logs with an entry of the same index and term
//                        hold the same entries up to it.
//   Leader Completeness  a leader holds every entry committed before it.
//   State Machine Safety no two nodes apply different entries at an index.
//   Durability           a committed entry stays on a majority's storage
//                        and never changes.
//   Linearizable reads   a read is served at an index no lower than any
//                        commit index reached before it was asked.
//
// The first violation is kept; later ones are usually its consequences.
//
// Thread-safety: not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "nodes/raft/core/raft_node.h"
#include "nodes/raft/core/sim/sim_storage.h"

namespace dsc::raft::sim {

class SimChecker {
 public:
  explicit SimChecker(size_t cluster_size) : cluster_size_(cluster_size) {}

  bool ok() const { return failure_.empty(); }
  const std::string& failure() const { return failure_; }
  void Fail(const std::string& what);

  // Election Safety, and Leader Completeness for every new leader.
  void ObserveRole(const RaftNode& node);
  // Log Matching, by induction: an (index, term) pair always names the
  // same data and follows the same predecessor term.
  void ObservePersistedEntries(const RaftNode& node, const std::vector<Entry>& entries);
  // Records newly committed entries; a committed index never changes.
  void ObserveCommit(const NodeId& id, const RaftNode& node);
  void ResetCommitWatermark(const NodeId& id, Index commit) { seen_commit_[id] = commit; }
  // State Machine Safety: the state after applying `index` is the same on
  // every node (the digest chains every applied entry).
  void ObserveState(const NodeId& id, Index index, uint64_t digest);
  void ObserveRead(const NodeId& id, const ReadState& read, Index committed_when_asked);
  // Durability: every committed entry is on a majority of storages.
  void CheckDurability(const std::vector<const SimStorage*>& storages);

  Index max_committed() const { return committed_.empty() ? 0 : committed_.rbegin()->first; }
  const std::map<Term, NodeId>& leaders() const { return leader_of_term_; }
  // Was `id` already seen leading `term`?
  bool leads(Term term, const NodeId& id) const {
    const auto it = leader_of_term_.find(term);
    return it != leader_of_term_.end() && it->second == id;
  }

 private:
  struct EntryFacts {
    std::string data;
    std::optional<Term> prev_term;
  };

  size_t cluster_size_;
  std::string failure_;
  std::map<Term, NodeId> leader_of_term_;
  std::map<std::pair<Index, Term>, EntryFacts> entries_;
  std::map<Index, std::pair<Term, std::string>> committed_;  // index -> (term, data)
  std::map<NodeId, Index> seen_commit_;
  std::map<Index, uint64_t> digest_at_;
};

}  // namespace dsc::raft::sim
