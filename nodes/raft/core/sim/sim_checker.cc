#include "nodes/raft/core/sim/sim_checker.h"

#include <string>

namespace dsc::raft::sim {
namespace {
std::string Str(uint64_t value) { return std::to_string(value); }
}  // namespace

void SimChecker::Fail(const std::string& what) {
  if (failure_.empty()) failure_ = what;
}

// ANCHOR: election_safety
void SimChecker::ObserveRole(const RaftNode& node) {
  if (node.role() != Role::kLeader) return;
  const auto [it, inserted] = leader_of_term_.emplace(node.term(), node.id());
  if (!inserted) {
    if (it->second != node.id()) {
      Fail("election safety: " + it->second + " and " + node.id() + " both lead term " +
           Str(node.term()));
    }
    return;
  }
  // A new leader: it must hold every entry committed so far.
  const RaftLog& log = node.log();
  for (const auto& [index, committed] : committed_) {
    if (index <= log.snapshot_index()) continue;
    if (log.TermAt(index) != committed.first) {
      Fail("leader completeness: new leader " + node.id() + " of term " + Str(node.term()) +
           " lacks committed entry " + Str(index) + "/" + Str(committed.first));
      return;
    }
  }
}
// ANCHOR_END: election_safety

void SimChecker::ObservePersistedEntries(const RaftNode& node, const std::vector<Entry>& entries) {
  for (const Entry& entry : entries) {
    EntryFacts facts{entry.data, node.log().TermAt(entry.index - 1)};
    const auto [it, inserted] = entries_.emplace(std::make_pair(entry.index, entry.term), facts);
    if (inserted) continue;
    if (it->second.data != entry.data) {
      Fail("log matching: entry " + Str(entry.index) + "/" + Str(entry.term) + " on " + node.id() +
           " holds different data");
    } else if (facts.prev_term && it->second.prev_term && facts.prev_term != it->second.prev_term) {
      Fail("log matching: entry " + Str(entry.index) + "/" + Str(entry.term) + " on " + node.id() +
           " follows a different entry");
    }
  }
}

void SimChecker::ObserveCommit(const NodeId& id, const RaftNode& node) {
  Index& seen = seen_commit_[id];
  const Index commit = node.commit_index();
  const RaftLog& log = node.log();
  for (Index i = std::max(seen, log.snapshot_index()) + 1; i <= commit; ++i) {
    const Entry& entry = log.At(i);
    const auto [it, inserted] = committed_.emplace(i, std::make_pair(entry.term, entry.data));
    if (!inserted && (it->second.first != entry.term || it->second.second != entry.data)) {
      Fail("committed entry changed: index " + Str(i) + " was " + Str(it->second.first) +
           ", node " + id + " committed term " + Str(entry.term));
    }
  }
  seen = std::max(seen, commit);
}

void SimChecker::ObserveState(const NodeId& id, Index index, uint64_t digest) {
  const auto [it, inserted] = digest_at_.emplace(index, digest);
  if (!inserted && it->second != digest) {
    Fail("state machine safety: " + id + " has a different state after applying index " +
         Str(index));
  }
}

void SimChecker::ObserveRead(const NodeId& id, const ReadState& read, Index committed_when_asked) {
  if (read.index < committed_when_asked) {
    Fail("stale read: " + id + " served read " + read.request_id + " at index " + Str(read.index) +
         " but index " + Str(committed_when_asked) + " was committed before it was asked");
  }
}

void SimChecker::CheckDurability(const std::vector<const SimStorage*>& storages) {
  const size_t majority = cluster_size_ / 2 + 1;
  for (const auto& [index, committed] : committed_) {
    size_t holders = 0;
    for (const SimStorage* storage : storages) {
      if (storage->Covers(index, committed.first)) ++holders;
    }
    if (holders < majority) {
      Fail("durability: committed entry " + Str(index) + "/" + Str(committed.first) +
           " is on only " + Str(holders) + " storages");
      return;
    }
  }
}

}  // namespace dsc::raft::sim
