// RaftNode: log replication (§5.3), commitment (§5.4.2) and snapshot
// installation (§7).
#include <algorithm>
#include <cassert>
#include <functional>
#include <vector>

#include "nodes/raft/core/raft_node.h"

namespace dsc::raft {

void RaftNode::BroadcastAppend() {
  for (const NodeId& peer : config_.peers) {
    if (peer != config_.id) SendAppend(peer);
  }
}

void RaftNode::SendAppend(const NodeId& peer) {
  const Progress& progress = progress_.at(peer);
  const Index prev = progress.next - 1;
  const std::optional<Term> prev_term = log_.TermAt(prev);
  if (!prev_term) {
    // §7: the entries this follower needs were compacted away; send the
    // snapshot instead.
    Send(peer, InstallSnapshot{snapshot_, round_});
    return;
  }
  std::vector<Entry> entries =
      log_.Slice(progress.next, log_.LastIndex(), config_.max_entries_per_message);
  // Pipelining (as etcd-io/raft's "replicate" state): once the follower is
  // known to match everything before `next`, assume these entries arrive
  // and send the next ones after them without waiting for the reply. A
  // loss shows up as a rejection of a later message, which backtracks as
  // usual. While probing (after a rejection, or before the first success)
  // wait for the reply instead, so a diverged log costs one message per
  // round trip, not a stream of doomed ones.
  if (!progress.probing && !entries.empty()) progress_.at(peer).next = entries.back().index + 1;
  Send(peer, AppendEntries{prev, *prev_term, std::move(entries), commit_, round_});
}

// ANCHOR: handle_append
void RaftNode::HandleAppendEntries(const Message& m, const AppendEntries& request) {
  // m.term == term_: the sender is this term's only leader (§5.2). A
  // candidate of the same term gives up.
  if (role_ != Role::kFollower) BecomeFollower(term_, m.from);
  leader_ = m.from;
  election_elapsed_ = 0;  // a valid AppendEntries from the current leader

  AppendEntriesResponse response;
  response.round = request.round;
  Index prev = request.prev_log_index;
  std::vector<Entry> entries = request.entries;
  if (prev < commit_) {
    // Our committed prefix is in every leader's log (Leader Completeness),
    // so it matches; skip the part of the message it covers. This is also
    // how a follower handles entries below its snapshot.
    const auto covered = std::min<size_t>(entries.size(), commit_ - prev);
    entries.erase(entries.begin(), entries.begin() + static_cast<ptrdiff_t>(covered));
    prev = commit_;
  } else if (log_.TermAt(prev) != request.prev_log_term) {
    // §5.3, the consistency check: refuse unless we hold the entry that
    // precedes the new ones. Tell the leader where our log for that term
    // begins, so it can skip the whole term in one round trip.
    response.rejected_index = prev;
    if (prev > log_.LastIndex()) {
      response.conflict_index = log_.LastIndex() + 1;
    } else {
      response.conflict_term = *log_.TermAt(prev);
      response.conflict_index = log_.FirstIndexOfTerm(prev);
    }
    Send(m.from, response);
    return;
  }
  const Index last_new = log_.AppendFromLeader(prev, entries, commit_);
  // Figure 2: "If leaderCommit > commitIndex, set commitIndex =
  // min(leaderCommit, index of last new entry)": beyond last_new our log
  // may still hold entries the leader does not have.
  commit_ = std::max(commit_, std::min(request.leader_commit, last_new));
  response.success = true;
  response.match_index = last_new;
  Send(m.from, response);
}
// ANCHOR_END: handle_append

void RaftNode::HandleAppendEntriesResponse(const Message& m,
                                           const AppendEntriesResponse& response) {
  if (role_ != Role::kLeader) return;
  Progress& progress = progress_.at(m.from);
  progress.recent_active = true;
  progress.acked_round = std::max(progress.acked_round, response.round);
  if (response.success) {
    progress.probing = false;
    if (response.match_index > progress.match) {
      progress.match = response.match_index;
      progress.next = std::max(progress.next, progress.match + 1);
      MaybeCommit();
      if (progress.next <= log_.LastIndex()) SendAppend(m.from);
    }
  } else if (response.rejected_index + 1 == progress.next ||
             (!progress.probing && response.rejected_index > progress.match)) {
    // The rejection of the last message sent, or, while streaming, of any
    // message after what is known to match: probe from there.
    progress.probing = true;
    // ANCHOR: backtrack
    // Fast backtracking: if we have entries of the follower's conflicting
    // term, resume after our last one; otherwise skip its whole run of
    // that term. One round trip per term instead of one per entry.
    Index next = response.conflict_index;
    if (response.conflict_term != 0) {
      if (auto last = log_.LastIndexOfTerm(response.conflict_term, response.rejected_index)) {
        next = *last + 1;
      }
    }
    // Never below what is known to match, and always a step back.
    progress.next = std::max(progress.match + 1, std::min(next, response.rejected_index));
    // ANCHOR_END: backtrack
    SendAppend(m.from);
  }
  // Otherwise a stale rejection (of an older prev index): ignore it.
  ConfirmReads();
}

// ANCHOR: maybe_commit
void RaftNode::MaybeCommit() {
  // The leader's own entries count only once on its stable storage.
  std::vector<Index> matches{log_.stable_index()};
  for (const auto& [peer, progress] : progress_) matches.push_back(progress.match);
  std::sort(matches.begin(), matches.end(), std::greater<>());
  const Index replicated_on_majority = matches[Quorum() - 1];
  // §5.4.2 (Figure 8): an entry from an earlier term can sit on a majority
  // and still be overwritten by a later leader. Only an entry of the
  // current term is committed by counting replicas; the entries before it
  // are then committed indirectly, by the Log Matching Property.
  if (replicated_on_majority > commit_ && log_.TermAt(replicated_on_majority) == term_) {
    const Index old_commit = commit_;
    commit_ = replicated_on_majority;
    OnCommitAdvanced(old_commit);
  }
}
// ANCHOR_END: maybe_commit

void RaftNode::HandleInstallSnapshot(const Message& m, const InstallSnapshot& request) {
  if (role_ != Role::kFollower) BecomeFollower(term_, m.from);
  leader_ = m.from;
  election_elapsed_ = 0;
  const Snapshot& snapshot = request.snapshot;
  if (snapshot.index <= commit_) {
    // We already have everything it covers; installing it would move the
    // commit and apply indexes backwards (§7).
    Send(m.from, InstallSnapshotResponse{commit_, request.round});
    return;
  }
  // §7: keep the log after the snapshot if it matches there; otherwise the
  // whole log is superseded. Either way the state machine is reset from
  // the snapshot (Ready::snapshot) and commit jumps to its index.
  log_.InstallSnapshot(snapshot.index, snapshot.term);
  snapshot_ = snapshot;
  pending_snapshot_ = snapshot;
  commit_ = snapshot.index;
  Send(m.from, InstallSnapshotResponse{snapshot.index, request.round});
}

void RaftNode::HandleInstallSnapshotResponse(const Message& m,
                                             const InstallSnapshotResponse& response) {
  if (role_ != Role::kLeader) return;
  Progress& progress = progress_.at(m.from);
  progress.recent_active = true;
  progress.acked_round = std::max(progress.acked_round, response.round);
  if (response.match_index > progress.match) {
    progress.match = response.match_index;
    progress.next = std::max(progress.next, progress.match + 1);
    MaybeCommit();
    if (progress.next <= log_.LastIndex()) SendAppend(m.from);
  }
  ConfirmReads();
}

}  // namespace dsc::raft
