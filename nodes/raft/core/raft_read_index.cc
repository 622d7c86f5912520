// RaftNode: linearizable reads by ReadIndex (§8, thesis §6.4).
//
// A leader may answer a read from its state machine only if it is still
// the leader when the read arrives; a deposed leader that does not know it
// yet would return stale data. ReadIndex checks that cheaply, without
// writing to the log:
//   1. the leader must have committed an entry of its current term (its
//      no-op, §8), so its commit index is at least as high as any earlier
//      leader's; it records that commit index as the read index;
//   2. it sends a heartbeat round; once a majority answers in its term, no
//      newer leader existed when the read arrived;
//   3. the read is served once the state machine has applied the read index.
#include "nodes/raft/core/raft_node.h"

namespace dsc::raft {

// ANCHOR: read_index
Status RaftNode::ReadIndex(std::string request_id) {
  if (role_ != Role::kLeader) {
    return Status::Unavailable("not leader; leader is " + (leader_.empty() ? "unknown" : leader_));
  }
  pending_reads_.push_back(PendingRead{std::move(request_id), 0, 0});
  if (log_.TermAt(commit_) == term_) StartReadRound();
  // Otherwise step 1 is not done: OnCommitAdvanced starts the round.
  ConfirmReads();  // a single-node cluster confirms at once
  DebugCheckInvariants();
  return Status::Ok();
}
// ANCHOR_END: read_index

void RaftNode::StartReadRound() {
  ++round_;
  for (PendingRead& read : pending_reads_) {
    if (read.round != 0) continue;
    read.index = commit_;
    read.round = round_;
  }
  BroadcastAppend();  // carries round_
}

void RaftNode::OnCommitAdvanced(Index old_commit) {
  const bool first_commit_of_term = log_.TermAt(old_commit) != term_;
  if (first_commit_of_term && !pending_reads_.empty()) StartReadRound();
  // Tell followers at once rather than at the next heartbeat.
  BroadcastAppend();
}

// ANCHOR: confirm_reads
void RaftNode::ConfirmReads() {
  while (!pending_reads_.empty() && pending_reads_.front().round != 0) {
    const PendingRead& read = pending_reads_.front();
    size_t acks = 1;  // ourselves
    for (const auto& [peer, progress] : progress_) {
      if (progress.acked_round >= read.round) ++acks;
    }
    // Rounds only grow, so a later read cannot be confirmed before this one.
    if (acks < Quorum()) break;
    confirmed_reads_.push_back(ReadState{read.request_id, read.index});
    pending_reads_.pop_front();
  }
}
// ANCHOR_END: confirm_reads

}  // namespace dsc::raft
