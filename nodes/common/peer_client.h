// PeerClient: HTTP/JSON calls from one node to its peers, by peer id.
//
//   PeerClient peers("n1", *ParsePeerList(flag), {}, &server.faults());
//   Result<PeerResponse> r = peers.Post("n2", "/raft/request_vote", vote);
//   if (!r.ok()) { /* unreachable: r.status() says why */ }
//   else if (r->status == 200) { use(r->body); }
//
// Every call carries X-Dsc-Peer: <self id>, so the receiver knows it is
// peer traffic, and is bounded by connect/read/write timeouts (peers must be
// IP addresses for the connect timeout to hold: name lookups ignore it).
// Outgoing faults (faults.h) apply: an isolated peer fails at once as
// unreachable, a dropped message fails, a delayed one waits first.
//
// Result: OK with the HTTP status and JSON body whenever the peer answered
// (even 4xx/5xx); Unavailable when it could not be reached or did not
// answer in time; NotFound for an unknown peer id.
//
// Thread-safety: safe for concurrent use; each call uses its own
// connection (httplib::Client is not thread-safe).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "nodes/common/address.h"
#include "nodes/common/faults.h"

namespace httplib {
class Client;
}  // namespace httplib

namespace dsc::node {

struct PeerClientOptions {
  std::chrono::milliseconds connect_timeout{500};
  // Waiting for the answer; keep it above the slowest handler (a durable
  // append, a long poll) the peer may run.
  std::chrono::milliseconds read_timeout{5000};
  std::chrono::milliseconds write_timeout{5000};
};

struct PeerResponse {
  int status = 0;
  nlohmann::json body;  // null when the body is empty or not JSON
};

class PeerClient {
 public:
  // `faults` may be null (no fault injection); otherwise it must outlive
  // this client.
  PeerClient(std::string self_id, std::vector<PeerAddress> peers, PeerClientOptions options = {},
             FaultInjector* faults = nullptr);

  Result<PeerResponse> Get(std::string_view peer_id, const std::string& path) const;
  Result<PeerResponse> Post(std::string_view peer_id, const std::string& path,
                            const nlohmann::json& body) const;
  Result<PeerResponse> Put(std::string_view peer_id, const std::string& path,
                           const nlohmann::json& body) const;
  Result<PeerResponse> Delete(std::string_view peer_id, const std::string& path) const;

  const std::string& self_id() const { return self_id_; }
  // Every peer given, including self if it was in the list.
  const std::vector<PeerAddress>& peers() const { return peers_; }
  // The address of `peer_id`, or nullptr.
  const PeerAddress* Find(std::string_view peer_id) const;

 private:
  friend class PeerConnection;
  // `connection`: a kept-alive client to reuse (PeerConnection), or null
  // for a fresh connection closed after the call.
  Result<PeerResponse> Call(std::string_view peer_id, std::string_view method,
                            const std::string& path, const nlohmann::json* body,
                            httplib::Client* connection = nullptr) const;
  std::unique_ptr<httplib::Client> NewClient(const PeerAddress& peer, bool keep_alive) const;

  const std::string self_id_;
  const std::vector<PeerAddress> peers_;
  const PeerClientOptions options_;
  FaultInjector* const faults_;
};

// PeerConnection: one kept-alive connection to one peer, for a thread that
// talks to that peer all the time (a Raft node's sender). Same headers,
// timeouts and faults as PeerClient, without a TCP handshake per call; a
// broken connection is re-opened on the next call.
//
// Thread-safety: one thread at a time (httplib::Client is not thread-safe).
class PeerConnection {
 public:
  // `client` must outlive the connection; NotFound on use if `peer_id` is
  // not one of its peers.
  PeerConnection(const PeerClient* client, std::string peer_id);
  ~PeerConnection();

  Result<PeerResponse> Post(const std::string& path, const nlohmann::json& body);

 private:
  const PeerClient* const client_;
  const std::string peer_id_;
  std::unique_ptr<httplib::Client> connection_;  // null for an unknown peer
};

}  // namespace dsc::node
