// RaftNode: the Raft consensus algorithm as pure code.
//
// No sockets, clocks, threads or files: time arrives as Tick(), messages
// from other nodes as Step(), client commands as Propose() and reads as
// ReadIndex(). Everything the node wants done - state to persist, messages
// to send, entries to apply - comes out as a Ready (ready.h, which states
// the persist-then-send contract). That is what lets a deterministic
// simulator (sim/) run thousands of seeded histories of crashes and
// partitions in seconds.
//
// What is implemented, with the rules cited where the code applies them:
//   - leader election with randomized timeouts (§5.2), pre-vote
//     (thesis §9.6) and check-quorum (thesis §6.2);
//   - log replication (§5.3) with the conflict-term hint for fast
//     backtracking;
//   - commitment of current-term entries only (§5.4.2, Figure 8) and a
//     no-op entry from every new leader (§8);
//   - linearizable reads by ReadIndex (§8, thesis §6.4);
//   - snapshots: compaction and InstallSnapshot (§7).
// Exactly-once client commands belong to the state machine, not here.
//
// Thread-safety: not thread-safe. One thread (the node's event loop) calls
// everything.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "nodes/raft/core/message.h"
#include "nodes/raft/core/raft_config.h"
#include "nodes/raft/core/raft_log.h"
#include "nodes/raft/core/ready.h"
#include "nodes/raft/core/types.h"

namespace dsc::raft {

class RaftNode {
 public:
  RaftNode(RaftConfig config, RestoredState restored);

  RaftNode(const RaftNode&) = delete;
  RaftNode& operator=(const RaftNode&) = delete;

  // ANCHOR: raft_node_api
  // One unit of logical time: followers count toward an election, leaders
  // toward the next heartbeat and the check-quorum deadline.
  void Tick();

  // Handles one message from another node. InvalidArgument if it is not
  // addressed to this node or comes from a non-member.
  Status Step(const Message& message);

  // Appends a client command to the leader's log and returns its index.
  // The command is committed once it appears in Ready::committed_entries.
  // Unavailable ("not leader") on any other node; leader() is the hint.
  Result<Index> Propose(std::string data);

  // Asks for a linearizable read. Once leadership is confirmed by a
  // heartbeat round and the read index is applied, a ReadState with this
  // request_id comes out of Ready. Unavailable ("not leader") on any other
  // node. Pending reads are dropped if the leader steps down: the caller
  // should fail them when role() is no longer kLeader.
  Status ReadIndex(std::string request_id);

  // The application saved a snapshot of its state machine covering every
  // entry through `index` (which must be applied); the log before it can
  // go (§7). `data` is what a lagging follower will receive.
  Status Compact(Index index, std::string data);

  // The Ready loop (ready.h states the contract): while HasReady(), take
  // GetReady(), persist it, send its messages, apply it, then Advance().
  // (GetReady, not Ready, because Ready is the type's name.)
  bool HasReady() const;
  Ready GetReady();
  void Advance(const Ready& ready);
  // ANCHOR_END: raft_node_api

  // Every rule that must hold between two calls, as code (like LogCabin's
  // RaftConsensusInvariants). Debug builds check it after each Step and
  // Tick; the simulator checks it in every build.
  Status CheckInvariants() const;

  const NodeId& id() const { return config_.id; }
  Role role() const { return role_; }
  Term term() const { return term_; }
  const NodeId& vote() const { return vote_; }
  const NodeId& leader() const { return leader_; }  // empty when unknown
  Index commit_index() const { return commit_; }
  Index applied_index() const { return applied_; }
  const RaftLog& log() const { return log_; }

 private:
  // What the leader knows about one follower (Figure 2, "volatile state on
  // leaders").
  struct Progress {
    Index match = 0;             // highest index known to be replicated there
    Index next = 1;              // index of the next entry to send
    bool recent_active = false;  // heard from it since the last quorum check
    uint64_t acked_round = 0;    // highest heartbeat round it answered
    // False once an append succeeded: entries then stream without waiting
    // for each reply (SendAppend). True again after a rejection.
    bool probing = true;
  };
  struct PendingRead {
    std::string request_id;
    Index index = 0;     // commit index when the read was registered
    uint64_t round = 0;  // 0: waiting for the first commit of this term
  };

  // raft_election.cc
  void TickElection();
  void TickLeader();
  void ResetElectionTimer();
  bool InLease() const;
  void Campaign(bool pre_vote);
  void BecomeFollower(Term term, const NodeId& leader);
  void BecomeLeader();
  void HandleVoteRequest(const Message& message, const VoteRequest& request);
  void HandleVoteResponse(const Message& message, const VoteResponse& response);

  // raft_replication.cc
  void SendAppend(const NodeId& peer);
  void BroadcastAppend();
  void HandleAppendEntries(const Message& message, const AppendEntries& request);
  void HandleAppendEntriesResponse(const Message& message, const AppendEntriesResponse& response);
  void HandleInstallSnapshot(const Message& message, const InstallSnapshot& request);
  void HandleInstallSnapshotResponse(const Message& message,
                                     const InstallSnapshotResponse& response);
  void MaybeCommit();

  // raft_read_index.cc
  void StartReadRound();
  void ConfirmReads();
  void OnCommitAdvanced(Index old_commit);

  // raft_node.cc
  void Send(const NodeId& to, MessageBody body, Term term);
  void Send(const NodeId& to, MessageBody body) { Send(to, std::move(body), term_); }
  size_t Quorum() const { return config_.peers.size() / 2 + 1; }
  bool IsMember(const NodeId& id) const;
  HardState CurrentHardState() const { return {term_, vote_, commit_}; }
  void DebugCheckInvariants() const;

  RaftConfig config_;
  std::mt19937_64 rng_;  // election timeouts only; seeded from the config

  // Persistent state (Figure 2); reaches storage through Ready.
  Term term_ = 0;
  NodeId vote_;
  RaftLog log_;
  Snapshot snapshot_;  // the latest snapshot (taken here or received)

  // Volatile state.
  Role role_ = Role::kFollower;
  NodeId leader_;                        // who we believe leads term_; empty when unknown
  Index commit_ = 0;                     // highest index known to be committed
  Index applied_ = 0;                    // highest index the application has applied
  int election_elapsed_ = 0;             // ticks since the timer was last reset
  int heartbeat_elapsed_ = 0;            // leader: ticks since the last heartbeat
  int randomized_election_timeout_ = 0;  // in [election_tick, 2 * election_tick)
  std::map<NodeId, bool> votes_;         // (pre-)candidate: who answered and how
  std::map<NodeId, Progress> progress_;  // leader: every peer except us

  // ReadIndex (thesis §6.4).
  uint64_t round_ = 0;                      // leader's heartbeat round counter
  std::deque<PendingRead> pending_reads_;   // waiting for confirmation
  std::vector<ReadState> confirmed_reads_;  // waiting to be applied

  // Output not yet handed out in a Ready.
  std::vector<Message> outbox_;
  std::optional<Snapshot> pending_snapshot_;  // received, to be installed
  HardState persisted_hard_state_;            // as of the last Advance
  bool ready_outstanding_ = false;            // GetReady() without Advance() yet
};

}  // namespace dsc::raft
