#include "bench/idle_connections.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <string_view>

namespace dsc::bench {
namespace {

constexpr size_t kMaxReplyBytes = 64 * 1024;

std::string ErrnoText(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// One GET /health on a fresh connection `fd`, answered 200 with its whole
// body read, so nothing is left in flight when the connection goes idle.
Status CheckHealth(int fd, int port) {
  const std::string request =
      "GET /health HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n\r\n";
  for (std::string_view rest = request; !rest.empty();) {
    const ssize_t sent = send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return Status::Unavailable(ErrnoText("send GET /health"));
    rest.remove_prefix(static_cast<size_t>(sent));
  }
  std::string reply;
  size_t header_end = std::string::npos;
  size_t content_length = 0;
  char chunk[4096];
  for (;;) {
    if (header_end == std::string::npos) {
      header_end = reply.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        if (reply.compare(0, 12, "HTTP/1.1 200") != 0) {
          return Status::Unavailable("GET /health: " + reply.substr(0, reply.find("\r\n")));
        }
        // The node's answer carries Content-Length (never chunked).
        const size_t at = reply.find("\r\nContent-Length:");
        const size_t at_lower = reply.find("\r\ncontent-length:");
        const size_t found = at != std::string::npos ? at : at_lower;
        if (found == std::string::npos || found > header_end) {
          return Status::Corruption("GET /health answered without Content-Length");
        }
        size_t value = found + 17;
        while (value < header_end && reply[value] == ' ') ++value;
        const auto [end, ec] =
            std::from_chars(reply.data() + value, reply.data() + header_end, content_length);
        if (ec != std::errc()) return Status::Corruption("GET /health: bad Content-Length");
      }
    }
    if (header_end != std::string::npos && reply.size() >= header_end + 4 + content_length) {
      if (reply.size() > header_end + 4 + content_length) {
        return Status::Corruption("GET /health: more bytes than the answer");
      }
      return Status::Ok();
    }
    if (reply.size() > kMaxReplyBytes) return Status::Corruption("GET /health: answer too long");
    const ssize_t got = recv(fd, chunk, sizeof chunk, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got == 0) return Status::Unavailable("GET /health: connection closed");
    if (got < 0) return Status::Unavailable(ErrnoText("read GET /health's answer"));
    reply.append(chunk, static_cast<size_t>(got));
  }
}

}  // namespace

Result<std::unique_ptr<IdleConnections>> IdleConnections::Open(int port, size_t count) {
  std::unique_ptr<IdleConnections> idle(new IdleConnections());
  idle->fds_.reserve(count);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (size_t i = 0; i < count; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return Status::IOError(
          ErrnoText(("socket for idle connection " + std::to_string(i + 1)).c_str()));
    idle->fds_.push_back(fd);
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const timeval timeout{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      return Status::Unavailable(ErrnoText(("idle connection " + std::to_string(i + 1) + " of " +
                                            std::to_string(count) + ": connect")
                                               .c_str()));
    }
    if (Status s = CheckHealth(fd, port); !s.ok()) {
      return s.WithContext("idle connection " + std::to_string(i + 1) + " of " +
                           std::to_string(count));
    }
  }
  return idle;
}

IdleConnections::~IdleConnections() {
  for (int fd : fds_) close(fd);
}

Result<size_t> IdleConnections::NoLongerIdle() const {
  std::vector<pollfd> polls;
  polls.reserve(fds_.size());
  for (int fd : fds_) polls.push_back(pollfd{fd, POLLIN | POLLRDHUP, 0});
  int ready;
  do {
    ready = poll(polls.data(), polls.size(), /*timeout=*/0);
  } while (ready < 0 && errno == EINTR);
  if (ready < 0) return Status::IOError(ErrnoText("poll the idle connections"));
  return static_cast<size_t>(ready);
}

Status RaiseOpenFileLimit(uint64_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return Status::IOError(ErrnoText("getrlimit"));
  if (limit.rlim_cur >= wanted) return Status::Ok();
  if (limit.rlim_max < wanted) {
    return Status::InvalidArgument("needs " + std::to_string(wanted) +
                                   " open files, but the hard limit (ulimit -Hn) is " +
                                   std::to_string(limit.rlim_max));
  }
  limit.rlim_cur = wanted;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return Status::IOError(ErrnoText("setrlimit"));
  return Status::Ok();
}

}  // namespace dsc::bench
