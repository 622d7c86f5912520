#include "nodes/common/guarded_http_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace dsc::node {
namespace {

using Clock = std::chrono::steady_clock;

// How often a waiting worker re-checks for shutdown and for other waiters.
constexpr std::chrono::milliseconds kPollSlice{50};
// A new connection gets this long to send its request before it may be
// closed for the sake of others (clients send right after connecting).
constexpr std::chrono::milliseconds kIdleGrace{100};
// How long a refused connection may take to deliver its request, which is
// read and discarded so that close() does not reset the connection (an RST
// can destroy the 503 before the client reads it).
constexpr int kRejectLingerMs = 50;
// After a response to a request whose body was not read, how long and how
// much of it to read and discard before closing.
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr size_t kLingerMaxBytes = 16u << 20;

// Set by CloseAfterResponse() during the request this thread is serving.
thread_local bool t_close_after_response = false;

const std::string& OverloadedResponse() {
  static const std::string response = [] {
    const std::string body =
        R"({"error":"overloaded","message":"too many connections; retry shortly"})";
    return "HTTP/1.1 503 Service Unavailable\r\n"
           "Content-Type: application/json\r\n"
           "Content-Length: " +
           std::to_string(body.size()) +
           "\r\n"
           "Retry-After: 1\r\n"
           "Connection: close\r\n\r\n" +
           body;
  }();
  return response;
}

void CloseSocket(socket_t sock) {
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
}

}  // namespace

GuardedHttpServer::GuardedHttpServer(ConnectionLimits limits) : limits_(limits) {
  new_task_queue = [this] {
    auto* queue = new ConnectionQueue(limits_.worker_threads, limits_.max_connections);
    queue_.store(queue);
    return queue;  // owned by httplib's listen loop
  };
}

// httplib writes a response's headers and body with separate send()s.
// With Nagle's algorithm on, the body then waits for the client to ACK the
// headers, and the client delays that ACK by up to 40 ms: every request on
// a keep-alive connection would cost ~40 ms however fast the node is.
void GuardedHttpServer::ConfigureAcceptedSocket(socket_t sock) {
  int on = 1;
  ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

bool GuardedHttpServer::process_and_close_socket(socket_t sock) {
  if (ConnectionQueue::OnRejecterThread()) {
    RejectOverloaded(sock);
    return false;
  }
  ConfigureAcceptedSocket(sock);
  SocketStream stream(sock, limits_.read_timeout, limits_.write_timeout);
  bool ok = false;
  for (size_t served = 0; served < limits_.max_requests_per_connection; ++served) {
    if (!WaitForRequest(stream, sock, served == 0)) break;
    stream.StartRequest();
    // The last request we will serve on this connection says so.
    bool last = served + 1 == limits_.max_requests_per_connection || Stopping();
    bool client_closed = false;
    t_close_after_response = false;
    ok = process_request(stream, last, client_closed, nullptr);
    // The whole response leaves in one send() (see socket_stream.h).
    if (!stream.Flush()) ok = false;
    if (t_close_after_response) {
      t_close_after_response = false;
      LingeringClose(sock);
      return ok;
    }
    if (!ok || client_closed || last) break;
  }
  CloseSocket(sock);
  return ok;
}

void GuardedHttpServer::CloseAfterResponse() { t_close_after_response = true; }

void GuardedHttpServer::LingeringClose(socket_t sock) {
  ::shutdown(sock, SHUT_WR);  // the client sees the end of our response
  const auto deadline = Clock::now() + kLingerTime;
  size_t drained = 0;
  char discard[16384];
  while (drained < kLingerMaxBytes) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    pollfd pfd{sock, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
    ssize_t n = ::recv(sock, discard, sizeof(discard), 0);
    if (n <= 0) break;  // the client closed too
    drained += static_cast<size_t>(n);
  }
  ::close(sock);
}

bool GuardedHttpServer::WaitForRequest(SocketStream& stream, socket_t sock,
                                       bool first_request) const {
  const auto start = Clock::now();
  const auto timeout = first_request ? limits_.read_timeout : limits_.keep_alive_timeout;
  for (;;) {
    if (stream.HasBufferedInput()) return true;
    pollfd pfd{sock, POLLIN, 0};
    int rc = ::poll(&pfd, 1, static_cast<int>(kPollSlice.count()));
    if (rc > 0) return true;  // data, or EOF that process_request will see
    if (rc < 0 && errno != EINTR) return false;
    if (Stopping()) return false;
    auto idle = Clock::now() - start;
    if (idle >= timeout) return false;
    ConnectionQueue* queue = queue_.load();
    if (queue != nullptr && queue->HasWaiting() && idle >= kIdleGrace) return false;
  }
}

void GuardedHttpServer::RejectOverloaded(socket_t sock) {
  const std::string& response = OverloadedResponse();
  // Non-blocking: the rejecter must never wait on one slow client.
  (void)::send(sock, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(sock, SHUT_WR);
  pollfd pfd{sock, POLLIN, 0};
  if (::poll(&pfd, 1, kRejectLingerMs) > 0) {
    char discard[4096];
    for (int i = 0; i < 64 && ::recv(sock, discard, sizeof(discard), MSG_DONTWAIT) > 0; ++i) {
    }
  }
  ::close(sock);
  if (on_reject_) on_reject_();
}

}  // namespace dsc::node
