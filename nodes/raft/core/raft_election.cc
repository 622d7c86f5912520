// RaftNode: timers, leader election (§5.2, §5.4.1), pre-vote (thesis §9.6)
// and check-quorum (thesis §6.2).
#include <cassert>

#include "nodes/raft/core/raft_node.h"

namespace dsc::raft {

// ANCHOR: election_timer
void RaftNode::ResetElectionTimer() {
  election_elapsed_ = 0;
  // §5.2: "election timeouts are chosen randomly from a fixed interval",
  // so usually one node times out first and wins before others wake up.
  const auto t = static_cast<uint64_t>(config_.election_tick);
  randomized_election_timeout_ = static_cast<int>(t + rng_() % t);
}
// ANCHOR_END: election_timer

bool RaftNode::InLease() const {
  return !leader_.empty() && election_elapsed_ < config_.election_tick;
}

void RaftNode::TickElection() {
  if (++election_elapsed_ >= randomized_election_timeout_) Campaign(config_.pre_vote);
}

// ANCHOR: tick_leader
void RaftNode::TickLeader() {
  if (++election_elapsed_ >= config_.election_tick) {
    election_elapsed_ = 0;
    if (config_.check_quorum) {
      // Thesis §6.2: a leader cut off from a majority steps down after an
      // election timeout, so clients stop waiting on it and its stale
      // reads end; the majority side has elected someone else by then.
      size_t active = 1;  // ourselves
      for (auto& [peer, progress] : progress_) {
        if (progress.recent_active) ++active;
        progress.recent_active = false;
      }
      if (active < Quorum()) {
        BecomeFollower(term_, NodeId());
        return;
      }
    }
  }
  if (++heartbeat_elapsed_ >= config_.heartbeat_tick) {
    heartbeat_elapsed_ = 0;
    // §5.2: heartbeats (AppendEntries, empty when the follower is up to
    // date) keep followers from starting elections; they also retransmit
    // whatever a lossy network dropped.
    BroadcastAppend();
  }
}
// ANCHOR_END: tick_leader

// ANCHOR: campaign
void RaftNode::Campaign(bool pre_vote) {
  votes_.clear();
  leader_.clear();
  ResetElectionTimer();
  Term campaign_term = term_ + 1;
  if (pre_vote) {
    // Thesis §9.6: ask first, without touching our term. A node that was
    // partitioned away never wins a pre-vote while the others have a
    // leader, so its term does not grow and it cannot disrupt them later.
    role_ = Role::kPreCandidate;
  } else {
    // §5.2: "increment currentTerm, vote for self".
    role_ = Role::kCandidate;
    term_ = campaign_term;
    vote_ = config_.id;
  }
  votes_[config_.id] = true;
  if (votes_.size() >= Quorum()) {  // a single-node cluster
    if (pre_vote) {
      Campaign(false);
    } else {
      BecomeLeader();
    }
    return;
  }
  for (const NodeId& peer : config_.peers) {
    if (peer == config_.id) continue;
    Send(peer, VoteRequest{pre_vote, log_.LastIndex(), log_.LastTerm()}, campaign_term);
  }
}
// ANCHOR_END: campaign

void RaftNode::BecomeFollower(Term term, const NodeId& leader) {
  if (term > term_) {
    term_ = term;
    vote_.clear();  // a new term: no vote cast in it yet (§5.2)
  }
  role_ = Role::kFollower;
  leader_ = leader;
  votes_.clear();
  progress_.clear();
  pending_reads_.clear();  // a deposed leader must not answer reads
  confirmed_reads_.clear();
  ResetElectionTimer();
}

// ANCHOR: become_leader
void RaftNode::BecomeLeader() {
  assert(role_ == Role::kCandidate);
  role_ = Role::kLeader;
  leader_ = config_.id;
  votes_.clear();
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  progress_.clear();
  for (const NodeId& peer : config_.peers) {
    if (peer == config_.id) continue;
    // Figure 2: nextIndex starts just after the leader's last entry.
    progress_[peer] = Progress{0, log_.LastIndex() + 1, false, 0};
  }
  // §8: a new leader does not know which of its entries are committed
  // (§5.4.2 forbids counting replicas of older terms). Appending a no-op
  // of its own term and committing it settles that quickly, and it is
  // what ReadIndex waits for.
  log_.Append(Entry{term_, log_.LastIndex() + 1, EntryType::kNoop, {}});
  BroadcastAppend();
}
// ANCHOR_END: become_leader

// ANCHOR: vote_request
void RaftNode::HandleVoteRequest(const Message& m, const VoteRequest& request) {
  // Here m.term >= term_ (Step rejected older terms; a real vote request
  // with a higher term already made us a follower of that term).
  // §5.2: at most one vote per term, first come first served; voting
  // again for the same candidate is harmless (a lost response).
  const bool can_vote =
      vote_ == m.from || (vote_.empty() && leader_.empty()) || (request.pre_vote && m.term > term_);
  // §5.4.1, the election restriction: only a candidate whose log is at
  // least as up to date as ours may win, so every leader holds every
  // committed entry (Leader Completeness).
  const bool up_to_date = log_.IsUpToDate(request.last_log_index, request.last_log_term);
  if (can_vote && up_to_date) {
    if (!request.pre_vote) {
      vote_ = m.from;  // persisted (Ready) before the response is sent
      // Checklist: reset the election timer when granting a vote.
      election_elapsed_ = 0;
    }
    // A granted pre-vote answers with the term it was asked about.
    Send(m.from, VoteResponse{request.pre_vote, true}, m.term);
  } else {
    Send(m.from, VoteResponse{request.pre_vote, false});
  }
}
// ANCHOR_END: vote_request

// ANCHOR: vote_response
void RaftNode::HandleVoteResponse(const Message& m, const VoteResponse& response) {
  const bool counts = response.pre_vote ? role_ == Role::kPreCandidate && m.term == term_ + 1
                                        : role_ == Role::kCandidate && m.term == term_;
  if (!counts) return;                       // a late answer to an earlier campaign
  votes_.emplace(m.from, response.granted);  // first answer of each voter counts
  size_t granted = 0;
  for (const auto& [voter, yes] : votes_) granted += yes ? 1 : 0;
  const size_t rejected = votes_.size() - granted;
  if (granted >= Quorum()) {
    // §5.2: "votes from majority of servers: become leader".
    if (response.pre_vote) {
      Campaign(false);
    } else {
      BecomeLeader();
    }
  } else if (rejected >= Quorum()) {
    BecomeFollower(term_, NodeId());  // this election is lost; wait for a leader
  }
}
// ANCHOR_END: vote_response

}  // namespace dsc::raft
