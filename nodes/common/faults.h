// Fault injection for drills without Docker: isolate peers, drop or delay
// peer messages. Off unless the node starts with --admin, which exposes
//
//   POST   /admin/faults  {"isolate":["n2"],"drop_rate":0.2,"delay_ms":50}
//   GET    /admin/faults  -> the current faults
//   DELETE /admin/faults  -> heal: no faults
//
// Faults apply only to peer traffic (requests carrying X-Dsc-Peer, and
// calls made through PeerClient), in both directions: a node that isolates
// n2 neither reaches n2 nor answers it. Client traffic is never faulted, so
// a learner can always curl /status of a "partitioned" node.
//
// Thread-safety: FaultInjector is safe to use from many threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace dsc::node {

// Marks peer traffic: a node sets it, to its own id, on every request it
// sends to a peer (PeerClient does).
inline constexpr char kPeerHeader[] = "X-Dsc-Peer";

inline constexpr int64_t kMaxFaultDelayMs = 60'000;

struct FaultSpec {
  std::set<std::string, std::less<>> isolate;  // peer ids
  double drop_rate = 0;                        // 0..1, per message
  int64_t delay_ms = 0;                        // 0..kMaxFaultDelayMs, per message

  bool empty() const { return isolate.empty() && drop_rate == 0 && delay_ms == 0; }
  nlohmann::json ToJson() const;
  // Validates a POST /admin/faults body; absent fields take the defaults
  // above and unknown fields are refused (a typo must not silently heal).
  static Result<FaultSpec> Parse(std::string_view body);

  bool operator==(const FaultSpec&) const = default;
};

// What to do with one peer message.
struct FaultDecision {
  enum class Action { kDeliver, kIsolated, kDrop };
  Action action = Action::kDeliver;
  std::chrono::milliseconds delay{0};  // wait this long first (kDeliver only)
};

class FaultInjector {
 public:
  // `seed` makes drop decisions reproducible in tests.
  explicit FaultInjector(uint64_t seed = std::random_device{}());

  void Set(FaultSpec spec);
  void Clear() { Set(FaultSpec{}); }
  FaultSpec Get() const;

  // Decides the fate of one message to or from `peer_id`.
  FaultDecision Decide(std::string_view peer_id);

 private:
  mutable std::mutex mutex_;
  FaultSpec spec_;       // GUARDED_BY(mutex_)
  std::mt19937_64 rng_;  // GUARDED_BY(mutex_)
};

}  // namespace dsc::node
