// RaftHttp: the HTTP face of a Raft KV node (DESIGN.md, "Raft").
//
// Clients:
//   PUT    /kv/{key}        body: the raw value  -> 200 {"key","index"}
//   GET    /kv/{key}        -> 200 {"key","value","index"} | 404
//          ?stale=true      read this node's state without ReadIndex ("stale":true)
//   DELETE /kv/{key}        -> 200 {"key","deleted","index"}
//   POST   /kv/{key}/cas    {"expected":S|null,"value":S} -> 200 swapped |
//                           412 {"error":"precondition_failed","value":current|null}
// Writes may carry ?client=ID&seq=N: a retry with the same pair is applied
// at most once (kv_state_machine.h) and answered with "duplicate":true.
// Any node that cannot serve answers 421 {"error":"not_leader","leader",
// "leader_url"}; 503 means the outcome is unknown (a write may still
// commit). Keys are 1..1024 bytes without '/'.
//
// Peers: POST /raft/request_vote | append_entries | install_snapshot with
// a message (message_json.h) -> 200 {"messages":[responses]}.
//
// Each handler is a coroutine: it queues the request with RaftKvService
// and co_awaits its answer (a commit, a ReadIndex round, a durable
// response to a peer) without holding a thread.
//
// Client routes take bodies up to the client limit (413 beyond); the peer
// routes take bodies up to the peer limit, since a snapshot or a batch of
// entries from a peer may be large.
//
// Thread-safety: handlers run on many server threads; RaftKvService is
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "nodes/common/node_server.h"
#include "nodes/common/peer_client.h"
#include "nodes/raft/raft_kv_service.h"

namespace dsc::raft {

class RaftHttp {
 public:
  // Borrowed; both must outlive the server the routes are registered on.
  // Client bodies (PUT values, CAS requests) larger than
  // `max_client_body_bytes` get 413, peer bodies larger than
  // `max_peer_body_bytes`.
  RaftHttp(RaftKvService* service, const node::PeerClient* peers, size_t max_client_body_bytes,
           size_t max_peer_body_bytes);

  // Adds the routes and the /status provider.
  void Register(node::NodeServer& server);

 private:
  node::Awaitable<node::Response> Put(node::Request& req);
  node::Awaitable<node::Response> Get(node::Request& req);
  node::Awaitable<node::Response> Delete(node::Request& req);
  node::Awaitable<node::Response> Cas(node::Request& req);
  node::Awaitable<node::Response> Peer(node::Request& req);

  // Runs `command` (after adding the client session from the query):
  // the outcome, or the error reply to send.
  node::Awaitable<std::variant<KvOutcome, node::Response>> RunWrite(const node::Request& req,
                                                                    KvCommand command);
  node::Response NotLeaderReply(const NotLeader& not_leader) const;

  RaftKvService* const service_;
  const node::PeerClient* const peers_;
  const size_t max_client_body_bytes_;
  const size_t max_peer_body_bytes_;
};

}  // namespace dsc::raft
