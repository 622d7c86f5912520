// The messages Raft nodes exchange (Figure 2, §7, thesis §9.6).
//
// Every message travels in an envelope (Message) that names the sender,
// the receiver and the sender's term; the body says what it is. A
// heartbeat is an AppendEntries with no entries (§5.2).
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "nodes/raft/core/types.h"

namespace dsc::raft {

// RequestVote (§5.2) and its rehearsal, PreVote (thesis §9.6). For a
// pre-vote the envelope's term is the term the sender *would* campaign in
// (its own term + 1); nobody changes its term because of a pre-vote.
struct VoteRequest {
  bool pre_vote = false;
  Index last_log_index = 0;  // for the election restriction (§5.4.1)
  Term last_log_term = 0;
};

struct VoteResponse {
  bool pre_vote = false;
  bool granted = false;
};

// ANCHOR: append_entries
struct AppendEntries {
  Index prev_log_index = 0;    // the entry just before `entries`
  Term prev_log_term = 0;      // ...and its term: the consistency check (§5.3)
  std::vector<Entry> entries;  // empty for a heartbeat
  Index leader_commit = 0;
  // Numbers the leader's heartbeat rounds so a response can confirm a
  // ReadIndex (thesis §6.4); followers echo it back unchanged.
  uint64_t round = 0;
};

struct AppendEntriesResponse {
  bool success = false;
  // On success: the follower's log matches the leader's through here.
  Index match_index = 0;
  // On failure: the prev_log_index that failed the check, so the leader
  // can ignore a stale rejection, and a hint for fast backtracking (§5.3,
  // "the follower can include the term of the conflicting entry and the
  // first index it stores for that term"):
  Index rejected_index = 0;
  Term conflict_term = 0;    // term of the follower's entry at rejected_index; 0 if it has none
  Index conflict_index = 0;  // first index of conflict_term there, or its last index + 1
  uint64_t round = 0;        // echoed from the request
};
// ANCHOR_END: append_entries

// §7: the leader sends its snapshot to a follower that needs entries the
// leader has already compacted away. Sent whole (no chunking).
struct InstallSnapshot {
  Snapshot snapshot;
  uint64_t round = 0;
};

struct InstallSnapshotResponse {
  Index match_index = 0;  // the follower's log matches through here
  uint64_t round = 0;
};

using MessageBody = std::variant<VoteRequest, VoteResponse, AppendEntries, AppendEntriesResponse,
                                 InstallSnapshot, InstallSnapshotResponse>;

struct Message {
  NodeId from;
  NodeId to;
  Term term = 0;  // the sender's current term (for a pre-vote: the proposed term)
  MessageBody body;
};

// One line for logs and simulator traces, e.g.
// "n1->n2 t3 AppendEntries prev=4/2 entries=[5/3] commit=4 round=7".
std::string MessageToString(const Message& message);

}  // namespace dsc::raft
