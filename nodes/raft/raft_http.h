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
// Thread-safety: handlers run on many server threads; RaftKvService is
// thread-safe.
#pragma once

#include <string>

#include "nodes/common/node_server.h"
#include "nodes/common/peer_client.h"
#include "nodes/raft/raft_kv_service.h"

namespace dsc::raft {

class RaftHttp {
 public:
  // Borrowed; both must outlive the server the routes are registered on.
  // Client bodies (PUT values, CAS requests) larger than
  // `max_client_body_bytes` get 413; the server's own limit is higher,
  // because a snapshot or a batch of entries from a peer may be large.
  RaftHttp(RaftKvService* service, const node::PeerClient* peers, size_t max_client_body_bytes);

  // Adds the routes, the /status provider and the metrics collector.
  void Register(node::NodeServer& server);

 private:
  void Put(const node::Request& req, httplib::Response& res);
  void Get(const node::Request& req, httplib::Response& res);
  void Delete(const node::Request& req, httplib::Response& res);
  void Cas(const node::Request& req, httplib::Response& res);
  void Peer(const node::Request& req, httplib::Response& res);

  // Runs `command` (after adding the client session from the query) and
  // answers errors; returns the outcome only on success.
  std::optional<KvOutcome> RunWrite(const node::Request& req, KvCommand command,
                                    httplib::Response& res);
  void ReplyNotLeader(const NotLeader& not_leader, httplib::Response& res) const;
  // Answers 413 (and returns false) for a client body over the limit.
  bool BodyFits(const node::Request& req, httplib::Response& res) const;

  RaftKvService* const service_;
  const node::PeerClient* const peers_;
  const size_t max_client_body_bytes_;
};

}  // namespace dsc::raft
