// HttpConnection: one keep-alive HTTP/1.1 connection to a loopback server,
// as lean as queue_bench's beanstalkd client (beanstalk_system.cc), so the
// client's share of the machine's two cores does not decide the result.
//
// Each request goes out in ONE send() (request line, headers and body), and
// a response is read with as few recv()s as its size allows. It speaks
// only what a dsc node answers: a status line, headers, and a body sized by
// Content-Length (or none, for 204 and 304). Anything else is an error.
// It is still plain HTTP: any server, curl or a proxy could be on the
// other end.
//
// Thread-safety: one connection is used by one thread at a time.
#pragma once

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

  // POST `path` with a JSON `body`; the reply, whatever its status.
  // Reconnects first when the server closed the connection after its
  // last reply.
  Result<HttpReply> Post(std::string_view path, std::string_view body);

 private:
  HttpConnection(int fd, int port) : fd_(fd), port_(port) {}

  Status Connect();  // a new socket in fd_
  Status Send(std::string_view bytes);
  Status Fill();  // reads more into buffer_; fails on EOF, error or timeout

  int fd_ = -1;
  int port_ = 0;
  std::string request_;  // reused for every request
  std::string buffer_;   // received, not yet consumed
};

}  // namespace dsc::bench
