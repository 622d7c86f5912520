// RaftNode::CheckInvariants: the rules that hold between any two calls on
// one node, as code. (Rules across nodes - one leader per term, matching
// logs - need a global view; the simulator checks those.)
#include <string>

#include "nodes/raft/core/raft_node.h"

namespace dsc::raft {

Status RaftNode::CheckInvariants() const {
  const auto broken = [this](const std::string& what) {
    return Status::Corruption("raft invariant broken on " + config_.id + ": " + what);
  };
  const auto str = [](uint64_t v) { return std::to_string(v); };

  // The log: contiguous indexes, terms never decrease, none from the future.
  Term previous_term = log_.snapshot_term();
  Index expected = log_.FirstIndex();
  for (const Entry& entry : log_.entries()) {
    if (entry.index != expected++) return broken("log index gap at " + str(entry.index));
    if (entry.term < previous_term) return broken("log term decreases at " + str(entry.index));
    if (entry.term > term_) return broken("entry " + str(entry.index) + " from a future term");
    previous_term = entry.term;
  }
  if (snapshot_.index != log_.snapshot_index() || snapshot_.term != log_.snapshot_term()) {
    return broken("snapshot and log disagree on the snapshot point");
  }
  // applied <= commit <= last: never commit what we do not hold, never
  // apply what is not committed.
  if (commit_ > log_.LastIndex()) {
    return broken("commit " + str(commit_) + " beyond last index " + str(log_.LastIndex()));
  }
  if (applied_ > commit_) return broken("applied " + str(applied_) + " beyond commit");
  if (log_.snapshot_index() > commit_) return broken("snapshot beyond commit");
  if (log_.stable_index() > log_.LastIndex()) return broken("stable index beyond last index");
  if (persisted_hard_state_.term > term_) return broken("term went backwards");

  switch (role_) {
    case Role::kLeader:
      if (leader_ != config_.id || vote_ != config_.id)
        return broken("leader did not vote for itself");
      if (progress_.size() + 1 != config_.peers.size()) return broken("leader lacks progress");
      for (const auto& [peer, progress] : progress_) {
        if (progress.match > log_.LastIndex()) return broken("match of " + peer + " beyond log");
        if (progress.next <= progress.match || progress.next > log_.LastIndex() + 1) {
          return broken("next of " + peer + " out of range");
        }
      }
      break;
    case Role::kCandidate:
      if (vote_ != config_.id) return broken("candidate did not vote for itself");
      [[fallthrough]];
    case Role::kPreCandidate:
      if (!leader_.empty()) return broken("candidate knows a leader");
      [[fallthrough]];
    case Role::kFollower:
      if (!progress_.empty() || !pending_reads_.empty() || !confirmed_reads_.empty()) {
        return broken("non-leader keeps leader state");
      }
      break;
  }
  return Status::Ok();
}

}  // namespace dsc::raft
