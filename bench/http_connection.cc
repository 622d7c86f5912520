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

// Larger headers are refused (the servers send a few hundred bytes).
constexpr size_t kMaxHeaderBytes = 16 * 1024;
constexpr size_t kMaxBodyBytes = 16u << 20;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  for (size_t i = 0; i < a.size(); ++i) {
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

HttpConnection::HttpConnection(HttpConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      port_(other.port_),
      request_(std::move(other.request_)),
      buffer_(std::move(other.buffer_)),
      timed_out_(other.timed_out_),
      reconnects_(other.reconnects_) {}

HttpConnection& HttpConnection::operator=(HttpConnection&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    port_ = other.port_;
    request_ = std::move(other.request_);
    buffer_ = std::move(other.buffer_);
    timed_out_ = other.timed_out_;
    reconnects_ = other.reconnects_;
  }
  return *this;
}

HttpConnection::~HttpConnection() { Close(); }

void HttpConnection::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  buffer_.clear();
}

Status HttpConnection::Connect() {
  Close();
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IOError("socket: " + std::string(std::strerror(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port_));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const std::string error = std::strerror(errno);
    close(fd);
    return Status::Unavailable("connect to port " + std::to_string(port_) + ": " + error);
  }
  fd_ = fd;
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // A bound on a hung server: a read that waits this long fails the run.
  const timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  return Status::Ok();
}

Result<HttpReply> HttpConnection::Request(std::string_view method, std::string_view path,
                                          std::string_view content_type, std::string_view body,
                                          Resend resend) {
  const bool reused = fd_ >= 0;
  if (!reused) DSC_RETURN_IF_ERROR(Connect());
  bool stale = false;
  Result<HttpReply> answer = Exchange(method, path, content_type, body, &stale);
  // A server may close an idle kept-alive connection at any moment (a dsc
  // node does when other connections wait for a worker); a request that
  // crossed that close got no byte of answer and was most likely not
  // processed. Like a keep-alive client may, for a request whose second
  // copy would be harmless, send it again, once, on a new connection.
  if (!answer.ok() && stale && reused && resend == Resend::kOnceIfUnanswered) {
    ++reconnects_;
    DSC_RETURN_IF_ERROR(Connect());
    answer = Exchange(method, path, content_type, body, &stale);
  }
  if (!answer.ok()) Close();  // never reuse a connection in an unknown state
  return answer;
}

Result<HttpReply> HttpConnection::Exchange(std::string_view method, std::string_view path,
                                           std::string_view content_type, std::string_view body,
                                           bool* stale) {
  *stale = false;
  request_.clear();
  request_.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1:");
  request_.append(std::to_string(port_)).append("\r\nContent-Type: ").append(content_type);
  request_.append("\r\nContent-Length: ").append(std::to_string(body.size()));
  request_.append("\r\n\r\n").append(body);
  if (Status sent = Send(request_); !sent.ok()) {
    *stale = true;  // the server closed first: nothing of this request was processed
    return sent;
  }

  // Status line and headers.
  size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (buffer_.size() > kMaxHeaderBytes) return Status::Corruption("response headers too long");
    if (Status filled = Fill(); !filled.ok()) {
      // Closed (or reset) before one byte of the answer: the close crossed
      // the request. A timeout is not that: the server may be working on it.
      *stale = buffer_.empty() && !timed_out_;
      return filled;
    }
  }
  const std::string_view head(buffer_.data(), header_end);
  // "HTTP/1.1 200 OK"
  if (head.size() < 12 || !head.starts_with("HTTP/1.") || head[8] != ' ') {
    return Status::Corruption("bad status line in \"" + std::string(head.substr(0, 80)) + "\"");
  }
  HttpReply answer;
  if (auto [end, ec] = std::from_chars(head.data() + 9, head.data() + 12, answer.status);
      ec != std::errc() || end != head.data() + 12) {
    return Status::Corruption("bad status code in \"" + std::string(head.substr(0, 80)) + "\"");
  }
  size_t content_length = 0;
  bool has_length = false;
  bool close_after = head.starts_with("HTTP/1.0");
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
      } else if (EqualsIgnoreCase(name, "Connection")) {
        close_after = EqualsIgnoreCase(value, "close");
      }
    }
    line_start = line_end;
  }
  const bool bodiless = answer.status == 204 || answer.status == 304 || answer.status < 200;
  if (!has_length && !bodiless) return Status::Corruption("response without Content-Length");
  if (bodiless) content_length = 0;

  const size_t body_start = header_end + 4;
  while (buffer_.size() < body_start + content_length) DSC_RETURN_IF_ERROR(Fill());
  answer.body.assign(buffer_, body_start, content_length);
  buffer_.erase(0, body_start + content_length);
  if (close_after) Close();
  return answer;
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
    timed_out_ = got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    if (got <= 0) return Status::Unavailable("read: " + ErrnoText(got));
    buffer_.append(chunk, static_cast<size_t>(got));
    return Status::Ok();
  }
}

}  // namespace dsc::bench
