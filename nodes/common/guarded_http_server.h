// GuardedHttpServer: an httplib::Server whose connections cannot be held
// hostage by idle or slow clients.
//
// It replaces httplib's per-connection loop (process_and_close_socket) with
// one that
//   * reads each request through SocketStream, so the whole request must
//     arrive within read_timeout (a slow-loris client is cut off);
//   * closes a keep-alive connection after keep_alive_timeout of silence,
//     and at once (after a short grace) when other connections wait for a
//     worker: an idle connection must not keep a busy client waiting;
//   * on ConnectionQueue's rejecter thread, writes a fixed 503
//     {"error":"overloaded"} and closes without reading anything.
// Everything else (parsing, routing, writing responses) is httplib's own
// process_request().
//
// Thread-safety: like httplib::Server. Configure before listening.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>

#include <httplib.h>

#include "nodes/common/connection_queue.h"
#include "nodes/common/socket_stream.h"

namespace dsc::node {

struct ConnectionLimits {
  std::chrono::milliseconds read_timeout{5000};
  std::chrono::milliseconds write_timeout{5000};
  std::chrono::milliseconds keep_alive_timeout{2000};
  // High on purpose: when a server ends a kept-alive connection, a client
  // may already be sending its next request on it, and that request fails
  // with no answer (cpp-httplib 0.11's client does; queue_bench saw it at
  // 16 clients with a limit of 100). Idle connections still time out.
  size_t max_requests_per_connection = 10000;
  size_t worker_threads = 16;
  size_t max_connections = 256;  // served + waiting; more are refused with 503
};

class GuardedHttpServer final : public httplib::Server {
 public:
  explicit GuardedHttpServer(ConnectionLimits limits);

  // Called from a request's handler or hook: close the connection once the
  // response is written (e.g. the request's body was left unread). The
  // close lingers briefly, reading what the client still sends, so the
  // client is not reset before it reads the response.
  static void CloseAfterResponse();

  // Sets what every accepted connection needs before its first request:
  // TCP_NODELAY, so each response leaves as soon as it is written.
  static void ConfigureAcceptedSocket(socket_t sock);

  // Called (on the rejecter thread) for each connection refused as overloaded.
  void set_on_reject(std::function<void()> on_reject) { on_reject_ = std::move(on_reject); }

 private:
  bool process_and_close_socket(socket_t sock) override;

  // Waits for the first byte of the next request; false when the
  // connection should be closed instead (idle, closed, or server stopping).
  bool WaitForRequest(SocketStream& stream, socket_t sock, bool first_request) const;
  void RejectOverloaded(socket_t sock);
  static void LingeringClose(socket_t sock);
  bool Stopping() const { return svr_sock_ == INVALID_SOCKET; }

  const ConnectionLimits limits_;
  // The queue httplib created via new_task_queue; it lives while listening.
  std::atomic<ConnectionQueue*> queue_{nullptr};
  std::function<void()> on_reject_;
};

}  // namespace dsc::node
