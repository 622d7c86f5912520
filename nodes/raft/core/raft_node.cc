// RaftNode: construction, the Step dispatcher with the term rules that
// apply to every message, proposals, compaction, and Ready/Advance.
#include "nodes/raft/core/raft_node.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <variant>

namespace dsc::raft {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kFollower: return "follower";
    case Role::kPreCandidate: return "pre-candidate";
    case Role::kCandidate: return "candidate";
    case Role::kLeader: return "leader";
  }
  return "unknown";
}

RaftNode::RaftNode(RaftConfig config, RestoredState restored)
    : config_(std::move(config)),
      rng_(config_.seed),
      term_(restored.hard_state.term),
      vote_(restored.hard_state.vote),
      log_(restored.snapshot.index, restored.snapshot.term, std::move(restored.entries)),
      snapshot_(std::move(restored.snapshot)),
      // The state machine restarts from the snapshot and re-applies the
      // committed entries after it.
      commit_(std::max(restored.hard_state.commit, snapshot_.index)),
      applied_(snapshot_.index),
      persisted_hard_state_(restored.hard_state) {
  assert(IsMember(config_.id) && "the peer list must include this node");
  assert(config_.election_tick > config_.heartbeat_tick && config_.heartbeat_tick > 0);
  assert(commit_ <= log_.LastIndex() && "storage lost committed entries");
  ResetElectionTimer();
  DebugCheckInvariants();
}

bool RaftNode::IsMember(const NodeId& id) const {
  return std::find(config_.peers.begin(), config_.peers.end(), id) != config_.peers.end();
}

void RaftNode::Send(const NodeId& to, MessageBody body, Term term) {
  outbox_.push_back(Message{config_.id, to, term, std::move(body)});
}

void RaftNode::Tick() {
  assert(!ready_outstanding_ && "Advance() the last Ready first");
  if (role_ == Role::kLeader) {
    TickLeader();
  } else {
    TickElection();
  }
  DebugCheckInvariants();
}

// ANCHOR: step_terms
Status RaftNode::Step(const Message& m) {
  assert(!ready_outstanding_ && "Advance() the last Ready first");
  if (m.to != config_.id)
    return Status::InvalidArgument("message for " + m.to + " reached " + id());
  if (!IsMember(m.from) || m.from == config_.id) {
    return Status::InvalidArgument("message from non-member " + m.from);
  }
  const auto* vote_request = std::get_if<VoteRequest>(&m.body);
  const auto* vote_response = std::get_if<VoteResponse>(&m.body);
  const bool from_leader = std::holds_alternative<AppendEntries>(m.body) ||
                           std::holds_alternative<InstallSnapshot>(m.body);

  if (m.term > term_) {
    if (vote_request && (vote_request->pre_vote || config_.check_quorum) && InLease()) {
      // Thesis §6.2/§9.6: we heard from a leader less than an election
      // timeout ago, so this candidate is not needed; ignoring it keeps a
      // node that rejoins from deposing a healthy leader.
      return Status::Ok();
    }
    if (vote_request && vote_request->pre_vote) {
      // A pre-vote never changes anyone's term; answered below.
    } else if (vote_response && vote_response->pre_vote && vote_response->granted) {
      // A granted pre-vote carries the term we would campaign in.
    } else {
      // §5.1: "If RPC request or response contains term T > currentTerm:
      // set currentTerm = T, convert to follower."
      BecomeFollower(m.term, from_leader ? m.from : NodeId());
    }
  } else if (m.term < term_) {
    // §5.1: a stale term is rejected. Answer a stale leader with our term
    // so it steps down (with pre-vote and check-quorum it might otherwise
    // never hear a higher term); answer a stale candidate likewise.
    if (from_leader) {
      Send(m.from, AppendEntriesResponse{});
    } else if (vote_request) {
      Send(m.from, VoteResponse{vote_request->pre_vote, false});
    }
    DebugCheckInvariants();
    return Status::Ok();  // stale responses are dropped
  }
  // ANCHOR_END: step_terms

  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, VoteRequest>) HandleVoteRequest(m, body);
        if constexpr (std::is_same_v<T, VoteResponse>) HandleVoteResponse(m, body);
        if constexpr (std::is_same_v<T, AppendEntries>) HandleAppendEntries(m, body);
        if constexpr (std::is_same_v<T, AppendEntriesResponse>)
          HandleAppendEntriesResponse(m, body);
        if constexpr (std::is_same_v<T, InstallSnapshot>) HandleInstallSnapshot(m, body);
        if constexpr (std::is_same_v<T, InstallSnapshotResponse>) {
          HandleInstallSnapshotResponse(m, body);
        }
      },
      m.body);
  DebugCheckInvariants();
  return Status::Ok();
}

Result<Index> RaftNode::Propose(std::string data) {
  assert(!ready_outstanding_ && "Advance() the last Ready first");
  if (role_ != Role::kLeader) {
    return Status::Unavailable("not leader; leader is " + (leader_.empty() ? "unknown" : leader_));
  }
  const Index index = log_.LastIndex() + 1;
  log_.Append(Entry{term_, index, EntryType::kNormal, std::move(data)});
  BroadcastAppend();
  DebugCheckInvariants();
  return index;
}

Status RaftNode::Compact(Index index, std::string data) {
  assert(!ready_outstanding_ && "Advance() the last Ready first");
  if (index > applied_) {
    return Status::InvalidArgument("cannot compact through " + std::to_string(index) +
                                   ": only applied through " + std::to_string(applied_));
  }
  if (index <= log_.snapshot_index()) return Status::Ok();  // already compacted
  const Term term = *log_.TermAt(index);
  log_.CompactThrough(index);
  snapshot_ = Snapshot{index, term, std::move(data)};
  DebugCheckInvariants();
  return Status::Ok();
}

bool RaftNode::HasReady() const {
  return !outbox_.empty() || pending_snapshot_ || log_.pending_truncate_after() ||
         log_.stable_index() < log_.LastIndex() || CurrentHardState() != persisted_hard_state_ ||
         applied_ < commit_ ||
         (!confirmed_reads_.empty() && confirmed_reads_.front().index <= commit_);
}

// ANCHOR: get_ready
Ready RaftNode::GetReady() {
  assert(!ready_outstanding_ && "Advance() the last Ready first");
  Ready ready;
  if (CurrentHardState() != persisted_hard_state_) ready.hard_state = CurrentHardState();
  ready.snapshot = pending_snapshot_;
  ready.truncate_after = log_.pending_truncate_after();
  ready.entries = log_.UnstableEntries();
  ready.messages = std::move(outbox_);
  outbox_.clear();
  // Entries up to commit_ are in the log, and any unstable ones are in
  // this Ready, which the application persists before it applies.
  Index applied = applied_;
  if (pending_snapshot_) applied = std::max(applied, pending_snapshot_->index);
  for (Index i = applied + 1; i <= commit_; ++i) ready.committed_entries.push_back(log_.At(i));
  if (!ready.committed_entries.empty()) applied = ready.committed_entries.back().index;
  // Reads are confirmed in order of increasing index.
  for (const ReadState& read : confirmed_reads_) {
    if (read.index > applied) break;
    ready.read_states.push_back(read);
  }
  ready_outstanding_ = true;
  return ready;
}
// ANCHOR_END: get_ready

void RaftNode::Advance(const Ready& ready) {
  assert(ready_outstanding_ && "Advance() without GetReady()");
  ready_outstanding_ = false;
  log_.MarkAllStable();
  if (ready.hard_state) persisted_hard_state_ = *ready.hard_state;
  if (ready.snapshot) applied_ = std::max(applied_, ready.snapshot->index);
  if (!ready.committed_entries.empty()) applied_ = ready.committed_entries.back().index;
  pending_snapshot_.reset();
  confirmed_reads_.erase(
      confirmed_reads_.begin(),
      confirmed_reads_.begin() + static_cast<ptrdiff_t>(ready.read_states.size()));
  // A leader counts itself toward a majority only for entries on its own
  // stable storage, so new entries may commit now.
  if (role_ == Role::kLeader) MaybeCommit();
  DebugCheckInvariants();
}

void RaftNode::DebugCheckInvariants() const {
#ifndef NDEBUG
  const Status status = CheckInvariants();
  if (!status.ok()) {
    std::fprintf(stderr, "raft node %s: %s\n", config_.id.c_str(), status.ToString().c_str());
    std::abort();
  }
#endif
}

}  // namespace dsc::raft
