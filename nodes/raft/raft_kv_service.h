// RaftKvService: one Raft node of the KV store. It owns the pure core
// (core/raft_node.h), drives it from a single loop thread, and connects it
// to the world: RaftStorage (the log, term and vote, snapshots),
// KvStateMachine (RocksDB) and PeerTransport (HTTP to the other nodes).
//
// The loop, once per wake-up (ready.h states the contract):
//
//   take what arrived: peer messages (Step), client writes (Propose),
//   linearizable reads (ReadIndex), and Tick() when a tick is due;
//   while the core HasReady():
//     persist (snapshot, truncation, entries, term and vote; fsync),
//     then send the messages: requests to peers, responses back to the
//     HTTP exchange that brought the request,
//     apply the committed entries and answer the writes waiting on them,
//     answer the reads whose index is applied, Advance();
//   once per tick, answer 503 to the requests that waited too long.
//
// Write/Read/Deliver queue work for the loop and return at once; the loop
// calls their `done` callback once the answer is known, so no HTTP thread
// waits (RaftHttp co_awaits the callback). A write is answered only once
// its entry is committed AND applied; a wait that runs out (client_timeout,
// counted by the loop's clock) answers "unknown" (503: the entry may still
// commit). A linearizable read is answered from the state machine after a
// ReadIndex round has confirmed leadership (§8, thesis §6.4); `stale`
// reads skip that and read this node's state as it is. Close() answers
// every request still waiting with 503.
//
// Thread-safety: every public method may be called from any thread. Each
// `done` is called exactly once: on the loop thread, or on the caller's
// thread before Write/Read/Deliver returns (refused at once, or a stale
// read). Keep it short: it holds up the loop.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "base/status.h"
#include "nlohmann/json.hpp"
#include "nodes/common/peer_client.h"
#include "nodes/raft/core/raft_node.h"
#include "nodes/raft/kv_command.h"
#include "nodes/raft/kv_state_machine.h"
#include "nodes/raft/peer_transport.h"
#include "nodes/raft/raft_storage.h"

namespace dsc::raft {

struct RaftKvOptions {
  std::string data_dir;
  wal::DurabilityPolicy durability = wal::DurabilityPolicy::Always();
  std::chrono::milliseconds tick{50};
  int election_ticks = 10;  // an election timeout is 10-20 ticks
  int heartbeat_ticks = 2;
  // Take a snapshot and compact the log after this many applied entries.
  // A snapshot scans the whole state on the loop thread, which stalls
  // writes for as long (raft_bench saw p99 rise from 41 to 156 ms with
  // 10000): take them rarely; tests and drills pass a small value.
  uint64_t snapshot_every = 100000;  // etcd's --snapshot-count default
  // How long a client request waits for commit (or a read for its round).
  std::chrono::milliseconds client_timeout{5000};
  // The deliberately broken variant for `dsc check raft` exercises: answer
  // every GET from local state, on any node, without ReadIndex.
  bool break_stale_reads = false;
  // Called (once) when the node cannot continue: a failed fsync, a
  // corrupt entry. The node then refuses all work; restart recovers.
  std::function<void(const Status&)> on_fatal;
};

// The node is not the leader; `leader` is who it believes leads ("" when
// unknown), for the 421 reply.
struct NotLeader {
  NodeId leader;
};

// A linearizable (or stale) read.
struct ReadResult {
  std::optional<KvValue> value;  // nullopt: absent
  bool stale = false;
};

template <typename T>
using KvReply = std::variant<T, NotLeader, Status>;

class RaftKvService {
 public:
  // Opens storage and state, restores the core and starts the loop and the
  // transport, whose senders run on `executor` (the server's, as `peers`).
  // `peers` lists every member including this node's id; it must outlive
  // the service.
  static Result<std::unique_ptr<RaftKvService>> Open(const RaftKvOptions& options,
                                                     node::PeerClient* peers,
                                                     node::asio::any_io_executor executor);
  ~RaftKvService();  // Close()s
  RaftKvService(const RaftKvService&) = delete;
  RaftKvService& operator=(const RaftKvService&) = delete;

  template <typename T>
  using Done = std::function<void(T)>;

  // Client API. `done` gets the outcome once the entry is committed and
  // applied, or NotLeader, or a Status (503 when the outcome is unknown).
  void Write(KvCommand command, Done<KvReply<KvOutcome>> done);
  // `done` gets the value once a ReadIndex round confirmed leadership and
  // the state machine caught up (at once when `stale`).
  void Read(const std::string& key, bool stale, Done<KvReply<ReadResult>> done);

  // Peer API: steps a request from a peer; `done` gets this node's
  // responses to it once they (and the state they promise) are durable.
  void Deliver(Message request, Done<Result<std::vector<Message>>> done);

  nlohmann::json StatusJson() const;
  NodeId leader() const;

  // Stops the loop and the transport, answers waiting requests 503, and
  // closes storage and state. Idempotent.
  Status Close();

 private:
  using Clock = std::chrono::steady_clock;
  struct Exchange {  // a peer request waiting for its responses
    Done<Result<std::vector<Message>>> done;
  };
  struct PendingWrite {
    Term term = 0;
    Clock::time_point deadline;  // set by the loop when it proposes
    Done<KvReply<KvOutcome>> done;
  };
  struct PendingRead {
    std::string key;
    Clock::time_point deadline;  // set by the loop when it asks
    Done<KvReply<ReadResult>> done;
  };
  struct Inbound {                        // one item for the loop
    std::optional<Message> message;       // a peer request or response
    std::shared_ptr<Exchange> exchange;   // set for a request
    std::optional<std::string> proposal;  // an encoded command
    std::shared_ptr<PendingWrite> write;  // set with proposal
    std::shared_ptr<PendingRead> read;    // a ReadIndex request
  };
  struct PublishedStatus {
    Role role = Role::kFollower;
    Term term = 0;
    NodeId vote;
    NodeId leader;
    Index commit = 0;
    Index applied = 0;
    Index first = 0;
    Index last = 0;
    Index snapshot = 0;
  };

  RaftKvService(const RaftKvOptions& options, node::PeerClient* peers,
                node::asio::any_io_executor executor)
      : options_(options), peers_(peers), executor_(std::move(executor)) {}
  Status Start();
  // Unavailable when the node is stopping or has failed.
  Status Push(Inbound item);
  // Answers everything left in the inbox or waiting with `why`; loop
  // thread, once it has stopped taking work.
  void FailEverything(std::deque<Inbound>& left, const Status& why);
  void Loop();
  void TakeInbound(std::deque<Inbound>& items, Clock::time_point now,
                   std::map<NodeId, std::deque<std::shared_ptr<Exchange>>>& exchanges);
  Status HandleReady(std::map<NodeId, std::deque<std::shared_ptr<Exchange>>>& exchanges);
  Status ApplyCommitted(const std::vector<Entry>& entries);
  Status MaybeSnapshot();
  // This node's value of `key` as it is now.
  KvReply<ReadResult> ReadLocal(const std::string& key, bool stale) const;
  void FailPendingReads();
  // Answers 503 to writes and reads waiting past their deadline.
  void ExpireWaiting(Clock::time_point now);
  void Publish();
  void Fatal(const Status& status);  // loop thread only

  const RaftKvOptions options_;
  node::PeerClient* const peers_;
  const node::asio::any_io_executor executor_;  // the transport's senders run on it
  std::unique_ptr<RaftStorage> storage_;
  std::unique_ptr<KvStateMachine> state_;
  std::unique_ptr<RaftNode> node_;  // loop thread only (after Start)
  std::unique_ptr<PeerTransport> transport_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Inbound> inbox_;  // GUARDED_BY(mutex_)
  bool stopping_ = false;      // GUARDED_BY(mutex_)
  Status fatal_;               // GUARDED_BY(mutex_): set once, then everything fails
  std::thread loop_;

  // Loop thread only.
  std::map<Index, std::shared_ptr<PendingWrite>> writes_;      // by entry index
  std::map<std::string, std::shared_ptr<PendingRead>> reads_;  // by request id
  uint64_t next_read_id_ = 1;

  mutable std::mutex status_mutex_;
  PublishedStatus status_;  // GUARDED_BY(status_mutex_)
  bool closed_ = false;     // GUARDED_BY(mutex_)
};

}  // namespace dsc::raft
