// KvClient: performs one history Operation against a cluster that speaks
// the Raft KV contract (docs/DESIGN.md, "Raft"), and classifies its outcome the
// way the checker needs it.
//
//   PUT /kv/{key} (raw body)        200                  -> ok
//   GET /kv/{key}                   200 {"value"} / 404  -> ok, seen value / absent
//   DELETE /kv/{key}                200 / 404            -> ok
//   POST /kv/{key}/cas {"expected","value"}
//                                   200 -> ok swapped; 412 -> ok not swapped
//                                   (seen: the "value" its body reports, if any)
//   421 not_leader                  did not take it: retry at the "leader_url" /
//                                   "leader" it names, or the next node
//   no connection made              did not take it: retry at the next node
//   503, other 5xx, timeout, a connection that broke after the request
//   was sent, a reply we cannot read                         -> unknown
//   other 4xx                       refused                  -> failed
//
// ANCHOR: retry_rule
// Only answers that prove the request did not take effect (421, a refused
// connection) are retried inside one operation. After an unknown outcome
// the operation ends: retrying it could apply it twice, and the history
// would then hold one operation that took effect two times.
// ANCHOR_END: retry_rule
//
// Thread-safety: one KvClient per thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/status.h"
#include "nodes/raft/check/history.h"

namespace httplib {
class Client;
}

namespace dsc::raft::check {

struct NodeEndpoint {
  std::string id;   // "n1"
  std::string url;  // "http://127.0.0.1:7401"

  bool operator==(const NodeEndpoint&) const = default;
};

// "n1=http://127.0.0.1:7401,n2=127.0.0.1:7402": ids and URLs ("http://"
// is added when missing). Ids must be unique and the list non-empty.
Result<std::vector<NodeEndpoint>> ParseNodeList(const std::string& text);

struct KvClientOptions {
  // No answer within this long: the outcome is unknown.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(3)};
  // How long one operation may keep following redirects and refused
  // connections before it is recorded as failed.
  std::chrono::milliseconds retry_budget{std::chrono::seconds(3)};
  // Pause before retrying when no leader is known.
  std::chrono::milliseconds retry_pause{std::chrono::milliseconds(50)};
  // Send each GET first to a random node rather than the last leader. A
  // correct node answers or redirects with 421, so this costs only
  // redirects; a node that serves reads it must not (a follower, a
  // deposed leader) is found much sooner.
  bool reads_anywhere = true;
};

class KvClient {
 public:
  KvClient(std::vector<NodeEndpoint> nodes, KvClientOptions options, uint64_t seed);
  ~KvClient();
  KvClient(const KvClient&) = delete;
  KvClient& operator=(const KvClient&) = delete;

  // Sends `op` (kind, key, value, expected set) and fills in its outcome,
  // seen, swapped, node and note. Does not touch its times.
  void Perform(Operation& op);

 private:
  httplib::Client& ClientFor(const std::string& url);
  // Where to go after a 421 naming `leader_id` / `leader_url` (either may
  // be empty), or after a refused connection (both empty).
  void Redirect(const std::string& leader_id, const std::string& leader_url);

  const std::vector<NodeEndpoint> nodes_;
  const KvClientOptions options_;
  std::mt19937_64 random_;
  std::string current_url_;  // where the next request goes
  std::string current_id_;   // its node id, or the URL when not a known node
  std::map<std::string, std::unique_ptr<httplib::Client>> clients_;  // by URL
};

}  // namespace dsc::raft::check
