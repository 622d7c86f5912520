// HttpConnection: one keep-alive HTTP/1.1 connection to a loopback server,
// lean enough that the load generator's share of the machine's two cores
// does not decide the result (the servers under test share them). Both
// queue_bench and raft_bench drive their systems through it.
//
// Each request goes out in ONE send() (request line, headers, body), and a
// response is read with as few recv()s as its size allows. It reads what
// the systems under test answer: a status line, headers, and a body sized
// by Content-Length (or none, for 204 and 304). A chunked body is an error.
// When the server says "Connection: close" (a dsc node does while it shuts
// down, or after refusing a request it did not read), the next request
// opens a new connection, as any keep-alive client does.
//
// Thread-safety: one connection is used by one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace dsc::bench {

struct HttpReply {
  int status = 0;
  std::string body;
};

class HttpConnection {
 public:
  // Connects to 127.0.0.1:port (TCP_NODELAY; 10 s send/receive timeouts).
  static Result<HttpConnection> Open(int port);

  HttpConnection(HttpConnection&& other) noexcept;
  HttpConnection& operator=(HttpConnection&& other) noexcept;
  ~HttpConnection();

  // What to do when a request meets a kept-alive connection the server
  // has just closed, so that no byte of answer came back.
  enum class Resend {
    kNever,  // fail: the caller cannot prove a second copy harmless
    // Send it once more, on a new connection. Only for a request that is
    // harmless if the server did process it (a put of a key that only this
    // client writes, with one value).
    kOnceIfUnanswered,
  };

  // Sends `method path` with `body` (and `content_type`); the answer,
  // whatever its status.
  Result<HttpReply> Request(std::string_view method, std::string_view path,
                            std::string_view content_type, std::string_view body,
                            Resend resend = Resend::kNever);
  // POST of a JSON body, never resent.
  Result<HttpReply> Post(std::string_view path, std::string_view json_body) {
    return Request("POST", path, "application/json", json_body);
  }

  // Requests sent again because the server had closed the connection.
  uint64_t reconnects() const { return reconnects_; }

 private:
  HttpConnection(int fd, int port) : fd_(fd), port_(port) {}

  // One request and its answer on the current connection. `*stale` is set
  // when it failed because the server had closed the connection before
  // answering.
  Result<HttpReply> Exchange(std::string_view method, std::string_view path,
                             std::string_view content_type, std::string_view body, bool* stale);

  Status Connect();  // a new socket in fd_
  void Close();
  Status Send(std::string_view bytes);
  Status Fill();  // reads more into buffer_; fails on EOF, error or timeout

  int fd_ = -1;
  int port_ = 0;
  std::string request_;     // reused for every request
  std::string buffer_;      // received, not yet consumed
  bool timed_out_ = false;  // the last failed recv() timed out
  uint64_t reconnects_ = 0;
};

}  // namespace dsc::bench
