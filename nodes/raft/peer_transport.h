// PeerTransport: carries Raft requests to peers over HTTP and brings their
// responses back.
//
//   PeerTransport transport(peer_client, [&](Message m) { service.Receive(m); });
//   transport.Send(message);   // never blocks; one sender thread per peer
//
// Each request goes to POST /raft/<type> (message_json.h) on its peer; the
// peer answers 200 {"messages":[...]} with its responses, which are handed
// to `on_response`. A failed call (peer down, isolated, timed out) simply
// loses the message: Raft is built for lossy networks and will retry.
//
// Each peer's sender keeps one connection open (node::PeerConnection): no
// TCP handshake per message. While a call is in flight, later messages queue. A queued
// AppendEntries that a newer one covers (same term, same prev_log_index, no more entries) is
// dropped, so a burst of proposals becomes one message instead of many overlapping ones.
//
// Thread-safety: Send may be called from any thread; on_response runs on
// the sender threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "nodes/common/peer_client.h"
#include "nodes/raft/core/message.h"

namespace dsc::raft {

class PeerTransport {
 public:
  using ResponseHandler = std::function<void(Message)>;

  // `peers` (not owned) must outlive the transport.
  PeerTransport(const node::PeerClient* peers, ResponseHandler on_response);
  ~PeerTransport();  // Stop()s
  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  void Send(Message message);
  // Stops the sender threads; queued messages are dropped.
  void Stop();

  // Messages sent and failed, for /metrics.
  uint64_t sent() const;
  uint64_t failed() const;

 private:
  struct Queue {
    std::deque<Message> messages;
    std::thread thread;
  };

  void SendLoop(const std::string& peer);
  void Deliver(const Message& message, node::PeerConnection& connection);

  const node::PeerClient* const peers_;
  const ResponseHandler on_response_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;                                 // GUARDED_BY(mutex_)
  std::map<std::string, std::unique_ptr<Queue>> queues_;  // by peer id; threads fixed at start
  uint64_t sent_ = 0;                                     // GUARDED_BY(mutex_)
  uint64_t failed_ = 0;                                   // GUARDED_BY(mutex_)
};

// True when `newer`, sent after `older` to the same peer, makes `older`
// redundant (exposed for tests).
bool Supersedes(const Message& newer, const Message& older);

// When `newer` continues `older` (an AppendEntries whose prev_log_index is
// older's last entry, same term), appends its entries to `older` and
// returns true: one message instead of two (exposed for tests).
inline constexpr size_t kMaxChainedEntries = 4096;
bool AppendChained(Message& older, const Message& newer);

}  // namespace dsc::raft
