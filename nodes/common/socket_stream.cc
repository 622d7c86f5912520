#include "nodes/common/socket_stream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace dsc::node {
namespace {

using Clock = std::chrono::steady_clock;

void AddressToString(const sockaddr_storage& addr, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    sockaddr_in v4;
    std::memcpy(&v4, &addr, sizeof(v4));
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text));
    port = ntohs(v4.sin_port);
  } else if (addr.ss_family == AF_INET6) {
    sockaddr_in6 v6;
    std::memcpy(&v6, &addr, sizeof(v6));
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof(text));
    port = ntohs(v6.sin6_port);
  }
  ip = text;
}

}  // namespace

SocketStream::SocketStream(int fd, std::chrono::milliseconds read_timeout,
                           std::chrono::milliseconds write_timeout)
    : fd_(fd), read_timeout_(read_timeout), write_timeout_(write_timeout) {
  StartRequest();
}

void SocketStream::StartRequest() { read_deadline_ = Clock::now() + read_timeout_; }

std::chrono::milliseconds SocketStream::TimeLeftToRead() const {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(read_deadline_ - Clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

bool SocketStream::WaitFor(short events, std::chrono::milliseconds timeout) const {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    pollfd pfd{fd_, events, 0};
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    int rc = ::poll(&pfd, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

bool SocketStream::is_readable() const {
  return HasBufferedInput() || WaitFor(POLLIN, TimeLeftToRead());
}

bool SocketStream::is_writable() const { return WaitFor(POLLOUT, write_timeout_); }

ssize_t SocketStream::read(char* ptr, size_t size) {
  if (!HasBufferedInput()) {
    // The peer may be waiting for what we wrote before it sends more.
    if (!Flush()) return -1;
    // httplib reads request lines a byte at a time; buffering turns that
    // into one recv() per packet. Try first, poll only when nothing is
    // there yet: usually the bytes have arrived and the poll() is wasted.
    ssize_t n;
    for (;;) {
      n = ::recv(fd_, buffer_, kBufferSize, MSG_DONTWAIT);
      if (n >= 0 || errno == EINTR) {
        if (n >= 0) break;
        continue;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      if (!WaitFor(POLLIN, TimeLeftToRead())) return -1;
    }
    if (n == 0) return 0;
    buffer_pos_ = 0;
    buffer_len_ = static_cast<size_t>(n);
  }
  size_t n = std::min(size, buffer_len_ - buffer_pos_);
  std::memcpy(ptr, buffer_ + buffer_pos_, n);
  buffer_pos_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t SocketStream::write(const char* ptr, size_t size) {
  output_.append(ptr, size);
  if (output_.size() >= kMaxPendingOutput && !Flush()) return -1;
  return static_cast<ssize_t>(size);
}

bool SocketStream::Flush() {
  size_t sent = 0;
  while (sent < output_.size()) {
    // MSG_NOSIGNAL: a client that went away must not SIGPIPE the node.
    // Try first; wait (up to write_timeout for some progress) only when
    // the socket's send buffer is full.
    const ssize_t n =
        ::send(fd_, output_.data() + sent, output_.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!is_writable()) break;
    } else {
      break;
    }
  }
  const bool ok = sent == output_.size();
  output_.clear();
  return ok;
}

// httplib asks for both addresses on every request; a connection's
// addresses never change, so each is looked up once.
void SocketStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  if (!remote_.known) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return;
    AddressToString(addr, remote_.ip, remote_.port);
    remote_.known = true;
  }
  ip = remote_.ip;
  port = remote_.port;
}

void SocketStream::get_local_ip_and_port(std::string& ip, int& port) const {
  if (!local_.known) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return;
    AddressToString(addr, local_.ip, local_.port);
    local_.known = true;
  }
  ip = local_.ip;
  port = local_.port;
}

}  // namespace dsc::node
