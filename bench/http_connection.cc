#include "bench/http_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <utility>

namespace dsc::bench {
namespace {

// Larger headers are refused (a dsc node sends a few hundred bytes).
constexpr size_t kMaxHeaderBytes = 16 * 1024;
constexpr size_t kMaxBodyBytes = 16u << 20;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string ErrnoText(ssize_t result) {
  if (result == 0) return "connection closed";
  if (errno == EAGAIN || errno == EWOULDBLOCK) return "timed out";
  return std::strerror(errno);
}

}  // namespace

Result<HttpConnection> HttpConnection::Open(int port) {
  HttpConnection connection(-1, port);
  DSC_RETURN_IF_ERROR(connection.Connect());
  return connection;
}

Status HttpConnection::Connect() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IOError("socket: " + std::string(std::strerror(errno)));
  fd_ = fd;
  buffer_.clear();
  const int port = port_;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    close(fd);
    fd_ = -1;
    errno = error;
    return Status::Unavailable("connect to port " + std::to_string(port) + ": " +
                               std::strerror(errno));
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // A bound on a hung server: a read that waits this long fails the run.
  const timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  return Status::Ok();
}

HttpConnection::HttpConnection(HttpConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      port_(other.port_),
      request_(std::move(other.request_)),
      buffer_(std::move(other.buffer_)) {}

HttpConnection& HttpConnection::operator=(HttpConnection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    port_ = other.port_;
    request_ = std::move(other.request_);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) close(fd_);
}

Result<HttpReply> HttpConnection::Post(std::string_view path, std::string_view body) {
  // The server ended the last connection (Connection: close, as a node
  // does after max_requests_per_connection): open a new one, as any
  // keep-alive client does.
  if (fd_ < 0) DSC_RETURN_IF_ERROR(Connect());
  request_.clear();
  request_.append("POST ").append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1:");
  request_.append(std::to_string(port_));
  request_.append("\r\nContent-Type: application/json\r\nContent-Length: ");
  request_.append(std::to_string(body.size())).append("\r\n\r\n").append(body);
  DSC_RETURN_IF_ERROR(Send(request_));

  // Status line and headers.
  size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (buffer_.size() > kMaxHeaderBytes) return Status::Corruption("response headers too long");
    DSC_RETURN_IF_ERROR(Fill());
  }
  const std::string_view head(buffer_.data(), header_end);
  // "HTTP/1.1 201 Created"
  if (head.size() < 12 || !head.starts_with("HTTP/1.") || head[8] != ' ') {
    return Status::Corruption("bad status line in \"" + std::string(head.substr(0, 80)) + "\"");
  }
  HttpReply reply;
  if (auto [end, ec] = std::from_chars(head.data() + 9, head.data() + 12, reply.status);
      ec != std::errc() || end != head.data() + 12) {
    return Status::Corruption("bad status code in \"" + std::string(head.substr(0, 80)) + "\"");
  }
  size_t content_length = 0;
  bool has_length = false;
  bool close_after = false;
  size_t line_start = head.find("\r\n");
  while (line_start != std::string_view::npos && line_start < head.size()) {
    line_start += 2;
    size_t line_end = head.find("\r\n", line_start);
    if (line_end == std::string_view::npos) line_end = head.size();
    const std::string_view line = head.substr(line_start, line_end - line_start);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      const std::string_view name = line.substr(0, colon);
      const std::string_view value = Trim(line.substr(colon + 1));
      if (EqualsIgnoreCase(name, "Content-Length")) {
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), content_length);
        if (ec != std::errc() || end != value.data() + value.size() ||
            content_length > kMaxBodyBytes) {
          return Status::Corruption("bad Content-Length \"" + std::string(value) + "\"");
        }
        has_length = true;
      } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
        return Status::Corruption("unexpected Transfer-Encoding " + std::string(value));
      } else if (EqualsIgnoreCase(name, "Connection") && EqualsIgnoreCase(value, "close")) {
        close_after = true;
      }
    }
    line_start = line_end;
  }
  const bool bodiless = reply.status == 204 || reply.status == 304 || reply.status < 200;
  if (!has_length && !bodiless) return Status::Corruption("response without Content-Length");
  if (bodiless) content_length = 0;

  const size_t body_start = header_end + 4;
  while (buffer_.size() < body_start + content_length) DSC_RETURN_IF_ERROR(Fill());
  reply.body.assign(buffer_, body_start, content_length);
  buffer_.erase(0, body_start + content_length);
  if (close_after) {
    close(fd_);
    fd_ = -1;
  }
  return reply;
}

Status HttpConnection::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return Status::Unavailable("send: " + ErrnoText(sent));
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
  return Status::Ok();
}

Status HttpConnection::Fill() {
  char chunk[16384];
  for (;;) {
    const ssize_t got = recv(fd_, chunk, sizeof chunk, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return Status::Unavailable("read: " + ErrnoText(got));
    buffer_.append(chunk, static_cast<size_t>(got));
    return Status::Ok();
  }
}

}  // namespace dsc::bench
