// PeerTransport: carries Raft requests to peers over HTTP and brings their
// responses back.
//
//   PeerTransport transport(server.executor(), &peer_client,
//                           [&](Message m) { service.Receive(m); });
//   transport.Send(message);   // never blocks
//
// Each request goes to POST /raft/<type> (message_json.h) on its peer; the
// peer answers 200 {"messages":[...]} with its responses, which are handed
// to `on_response`. A failed call (peer down, isolated, timed out) simply
// loses the message: Raft is built for lossy networks and will retry.
//
// Each peer has one sender: a coroutine on the node's io_context that takes the next queued
// message, co_awaits its call and goes on, so messages to one peer leave in order, one in flight at
// a time, and no thread waits for a peer. The PeerClient keeps the connection to the peer alive
// between calls: no TCP handshake per message. While a call is in flight, later messages queue. A
// queued AppendEntries that a newer one covers (same term, same prev_log_index, no more entries) is
// dropped, and one that a newer one continues is joined with it, so a burst of proposals becomes
// one message instead of many overlapping ones.
//
// Thread-safety: Send and Stop may be called from any thread; on_response
// runs on the server's threads, never after Stop() returned.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/experimental/concurrent_channel.hpp>

#include "nodes/common/peer_client.h"
#include "nodes/raft/core/message.h"

namespace dsc::raft {

class PeerTransport {
 public:
  using ResponseHandler = std::function<void(Message)>;

  // Starts one sender per peer on `executor` (the node's io_context, the
  // one `peers` runs on). `peers` (not owned) must outlive every call the
  // senders started, which the node ensures by stopping its server (the
  // io_context) before destroying the client.
  PeerTransport(node::asio::any_io_executor executor, node::PeerClient* peers,
                ResponseHandler on_response);
  ~PeerTransport();  // Stop()s
  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  void Send(Message message);
  // Drops queued messages and ends the senders (one in the middle of a
  // call ends when the call does). No on_response runs after it returns.
  void Stop();

  // Messages sent and failed, for /metrics.
  uint64_t sent() const;
  uint64_t failed() const;

 private:
  // Wakes a waiting sender from any thread. A channel of one slot used as
  // a doorbell: try_send is thread-safe and never blocks, a ring while the
  // slot is full is one ring, and a ring that comes after the sender found
  // its queue empty but before it started waiting stays in the slot, so
  // no wake-up is lost. (A timer cancelled from another thread would need
  // a strand and a post to be safe; the channel has its own lock.)
  using Doorbell = boost::asio::experimental::concurrent_channel<void(boost::system::error_code)>;

  struct Lane {  // one peer
    explicit Lane(const boost::asio::any_io_executor& executor) : doorbell(executor, 1) {}
    std::deque<Message> queued;  // GUARDED_BY(State::mutex)
    Doorbell doorbell;
  };
  // What the senders use. Shared with them, so a sender that is still
  // finishing its call when the transport is destroyed touches nothing freed.
  struct State {
    node::PeerClient* peers = nullptr;
    ResponseHandler on_response;
    std::map<std::string, std::unique_ptr<Lane>> lanes;  // by peer id; fixed at construction
    mutable std::mutex mutex;
    bool stopping = false;  // GUARDED_BY(mutex)
    uint64_t sent = 0;      // GUARDED_BY(mutex)
    uint64_t failed = 0;    // GUARDED_BY(mutex)
    // Held while on_response runs, and by Stop() once, so that none runs
    // after Stop() returns.
    std::mutex response_mutex;
  };

  static node::Awaitable<void> SendLoop(std::shared_ptr<State> state, std::string peer);
  static node::Awaitable<void> Deliver(State& state, const Message& message);

  std::shared_ptr<State> state_;
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
