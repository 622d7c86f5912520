// PeerClient: asynchronous HTTP/JSON calls from one node to its peers, by
// peer id, on the node's own io_context.
//
//   PeerClient peers(server.executor(), "n1", *ParsePeerList(flag), {}, &server.faults());
//   Result<PeerResponse> r = co_await peers.Post("n2", "/raft/request_vote", vote);
//   if (!r.ok()) { /* unreachable: r.status() says why */ }
//   else if (r->status == 200) { use(r->body); }
//
// Every call carries X-Dsc-Peer: <self id>, so the receiver knows it is
// peer traffic, and is bounded by a connect timeout and a request timeout
// (peers should be IP addresses: a name lookup is not bounded by the
// connect timeout). Outgoing faults (faults.h) apply: an isolated peer
// fails at once as unreachable, a dropped message fails, a delayed one
// waits on a timer first.
//
// Connections are kept alive and reused: each peer has a small pool of
// idle connections; a call takes one (or opens one), and gives it back
// when the answer came whole. A connection that failed is closed, and a
// call that failed on a reused connection before any answer byte is
// retried once on a fresh connection (the peer may have closed it idle).
//
// Result: OK with the HTTP status and JSON body whenever the peer answered
// (even 4xx/5xx); Unavailable when it could not be reached or did not
// answer in time; NotFound for an unknown peer id.
//
// Thread-safety: safe for concurrent use from any coroutine; the pools are
// guarded by a mutex. The client must outlive the calls it runs.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/core/tcp_stream.hpp>
#include <nlohmann/json.hpp>

#include "base/status.h"
#include "nodes/common/address.h"
#include "nodes/common/faults.h"
#include "nodes/common/http_types.h"

namespace dsc::node {

struct PeerClientOptions {
  std::chrono::milliseconds connect_timeout{500};
  // Sending the request and receiving the whole answer; keep it above the
  // slowest handler (a durable append, a long poll) the peer may run.
  std::chrono::milliseconds request_timeout{5000};
  // Idle connections kept per peer.
  size_t max_idle_per_peer = 8;
  // The largest answer body accepted.
  size_t max_response_bytes = 64u << 20;
};

struct PeerResponse {
  int status = 0;
  nlohmann::json body;  // null when the body is empty or not JSON
};

class PeerClient {
 public:
  // `faults` may be null (no fault injection); otherwise it must outlive
  // this client.
  PeerClient(asio::any_io_executor executor, std::string self_id, std::vector<PeerAddress> peers,
             PeerClientOptions options = {}, FaultInjector* faults = nullptr);
  ~PeerClient();
  PeerClient(const PeerClient&) = delete;
  PeerClient& operator=(const PeerClient&) = delete;

  Awaitable<Result<PeerResponse>> Get(std::string peer_id, std::string path);
  Awaitable<Result<PeerResponse>> Post(std::string peer_id, std::string path,
                                       const nlohmann::json& body);
  // `body` is sent as is, with the given Content-Type.
  Awaitable<Result<PeerResponse>> Call(std::string peer_id, http::verb method, std::string path,
                                       std::string body,
                                       std::string content_type = "application/json");

  const std::string& self_id() const { return self_id_; }
  // Where the calls and their connections run.
  asio::any_io_executor executor() const { return executor_; }
  // Every peer given, including self if it was in the list.
  const std::vector<PeerAddress>& peers() const { return peers_; }
  // The address of `peer_id`, or nullptr.
  const PeerAddress* Find(std::string_view peer_id) const;

  // Calls made and calls that failed (unreachable, timed out), for /metrics.
  uint64_t calls() const;
  uint64_t failures() const;

 private:
  using Connection = std::unique_ptr<beast::tcp_stream>;
  Awaitable<Result<PeerResponse>> Attempt(const PeerAddress& peer, const HttpRequest& request,
                                          bool* retryable);
  Awaitable<Result<Connection>> Connect(const PeerAddress& peer);
  Connection TakeIdle(const std::string& peer_id);
  void GiveBack(const std::string& peer_id, Connection connection);

  asio::any_io_executor executor_;
  const std::string self_id_;
  const std::vector<PeerAddress> peers_;
  const PeerClientOptions options_;
  FaultInjector* const faults_;

  mutable std::mutex mutex_;
  std::map<std::string, std::vector<Connection>, std::less<>> idle_;  // GUARDED_BY(mutex_)
  uint64_t calls_ = 0;                                                // GUARDED_BY(mutex_)
  uint64_t failures_ = 0;                                             // GUARDED_BY(mutex_)
};

}  // namespace dsc::node
