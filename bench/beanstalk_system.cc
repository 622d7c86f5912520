#include "bench/beanstalk_system.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

namespace dsc::bench {
namespace {

// Time-to-run of each job: far longer than a run, so no reservation runs
// out and hands a job to a second client.
constexpr int kTtrSeconds = 120;
// Never waited for in a correct run (queue_system.h); a bound on a broken one.
constexpr int kReserveTimeoutSeconds = 1;
// Longest reply line we accept (protocol lines are short; a job is read by length).
constexpr size_t kMaxLine = 1024;

bool ParseUnsigned(std::string_view text, uint64_t* value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

// One client's TCP connection, speaking the protocol line by line.
class BeanstalkConnection : public QueueConnection {
 public:
  static Result<std::unique_ptr<BeanstalkConnection>> Open(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Status::IOError("socket: " + std::string(std::strerror(errno)));
    std::unique_ptr<BeanstalkConnection> connection(new BeanstalkConnection(fd));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      return Status::Unavailable("connect to beanstalkd on port " + std::to_string(port) + ": " +
                                 std::strerror(errno));
    }
    // Each command goes out in one send; do not let Nagle hold it back.
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // A bound on a hung server: a read that waits this long fails the run.
    const timeval timeout{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    return connection;
  }

  ~BeanstalkConnection() override { close(fd_); }
  BeanstalkConnection(const BeanstalkConnection&) = delete;
  BeanstalkConnection& operator=(const BeanstalkConnection&) = delete;

  Status Enqueue(std::string_view payload) override {
    std::string command =
        "put 0 0 " + std::to_string(kTtrSeconds) + " " + std::to_string(payload.size()) + "\r\n";
    command.append(payload).append("\r\n");
    DSC_RETURN_IF_ERROR(Send(command));
    Result<std::string> reply = ReadLine();
    if (!reply.ok()) return reply.status();
    if (reply->rfind("INSERTED ", 0) != 0) return Status::Unavailable("put: " + *reply);
    return Status::Ok();
  }

  Result<LeasedJob> Lease() override {
    DSC_RETURN_IF_ERROR(
        Send("reserve-with-timeout " + std::to_string(kReserveTimeoutSeconds) + "\r\n"));
    Result<std::string> reply = ReadLine();
    if (!reply.ok()) return reply.status();
    if (*reply == "TIMED_OUT") {
      return Status::NotFound("reserve: no job within " + std::to_string(kReserveTimeoutSeconds) +
                              " s, though one was put before");
    }
    // RESERVED <id> <bytes>
    std::istringstream words(*reply);
    std::string word, id, bytes_text;
    uint64_t bytes = 0;
    if (!(words >> word >> id >> bytes_text) || word != "RESERVED" ||
        !ParseUnsigned(bytes_text, &bytes) || bytes > kMaxJobBytes) {
      return Status::Unavailable("reserve: " + *reply);
    }
    Result<std::string> payload = ReadBody(bytes);
    if (!payload.ok()) return payload.status();
    return LeasedJob{id, std::move(payload).value()};
  }

  Status Ack(const std::string& id) override {
    DSC_RETURN_IF_ERROR(Send("delete " + id + "\r\n"));
    Result<std::string> reply = ReadLine();
    if (!reply.ok()) return reply.status();
    if (*reply != "DELETED") return Status::Unavailable("delete " + id + ": " + *reply);
    return Status::Ok();
  }

  // The server's `stats` as key -> value.
  Result<std::map<std::string, std::string>> Stats() {
    DSC_RETURN_IF_ERROR(Send("stats\r\n"));
    Result<std::string> reply = ReadLine();
    if (!reply.ok()) return reply.status();
    uint64_t bytes = 0;
    if (reply->rfind("OK ", 0) != 0 || !ParseUnsigned(reply->substr(3), &bytes) ||
        bytes > kMaxJobBytes) {
      return Status::Unavailable("stats: " + *reply);
    }
    Result<std::string> yaml = ReadBody(bytes);
    if (!yaml.ok()) return yaml.status();
    // A YAML dictionary of "key: value" lines after a "---" line.
    std::map<std::string, std::string> stats;
    std::istringstream lines(*yaml);
    for (std::string line; std::getline(lines, line);) {
      const size_t colon = line.find(": ");
      if (colon != std::string::npos) stats[line.substr(0, colon)] = line.substr(colon + 2);
    }
    return stats;
  }

 private:
  // beanstalkd's default max job size (-z) is 65535; replies stay below it.
  static constexpr uint64_t kMaxJobBytes = 1 << 20;

  explicit BeanstalkConnection(int fd) : fd_(fd) {}

  Status Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t sent = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) continue;
      if (sent <= 0) return Status::Unavailable("send to beanstalkd: " + ErrnoText(sent));
      bytes.remove_prefix(static_cast<size_t>(sent));
    }
    return Status::Ok();
  }

  // Reads more bytes into buffer_; fails on EOF, error or timeout.
  Status Fill() {
    char chunk[4096];
    for (;;) {
      const ssize_t got = recv(fd_, chunk, sizeof chunk, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return Status::Unavailable("read from beanstalkd: " + ErrnoText(got));
      buffer_.append(chunk, static_cast<size_t>(got));
      return Status::Ok();
    }
  }

  // One reply line, without its "\r\n".
  Result<std::string> ReadLine() {
    for (;;) {
      const size_t end = buffer_.find("\r\n");
      if (end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        return line;
      }
      if (buffer_.size() > kMaxLine) return Status::Corruption("beanstalkd sent an overlong line");
      DSC_RETURN_IF_ERROR(Fill());
    }
  }

  // `bytes` bytes of data followed by "\r\n".
  Result<std::string> ReadBody(uint64_t bytes) {
    while (buffer_.size() < bytes + 2) DSC_RETURN_IF_ERROR(Fill());
    if (buffer_.compare(bytes, 2, "\r\n") != 0) {
      return Status::Corruption("beanstalkd's data does not end in \\r\\n");
    }
    std::string body = buffer_.substr(0, bytes);
    buffer_.erase(0, bytes + 2);
    return body;
  }

  static std::string ErrnoText(ssize_t result) {
    if (result == 0) return "connection closed";
    if (errno == EAGAIN || errno == EWOULDBLOCK) return "timed out";
    return std::strerror(errno);
  }

  const int fd_;
  std::string buffer_;  // received, not yet consumed
};

}  // namespace

Status BeanstalkSystem::Start(const std::string& data_dir) {
  // -f 0: fsync the binlog after every write, the durability dsc's
  // --fsync always gives.
  return StartServer(
      [&](int port) -> std::vector<std::string> {
        return {binary_, "-l", "127.0.0.1", "-p", std::to_string(port), "-b", data_dir, "-f", "0"};
      },
      data_dir + ".log");
}

Result<std::unique_ptr<QueueConnection>> BeanstalkSystem::Connect() {
  Result<std::unique_ptr<BeanstalkConnection>> connection = BeanstalkConnection::Open(port());
  if (!connection.ok()) return connection.status();
  return std::unique_ptr<QueueConnection>(std::move(connection).value());
}

Status BeanstalkSystem::CheckDrained(uint64_t cycles) {
  Result<std::unique_ptr<BeanstalkConnection>> connection = BeanstalkConnection::Open(port());
  if (!connection.ok()) return connection.status();
  Result<std::map<std::string, std::string>> stats = (*connection)->Stats();
  if (!stats.ok()) return stats.status();
  // Every job put, reserved and deleted once: none left in any state.
  const std::pair<const char*, uint64_t> expected[] = {
      {"current-jobs-urgent", 0},  {"current-jobs-ready", 0},  {"current-jobs-reserved", 0},
      {"current-jobs-delayed", 0}, {"current-jobs-buried", 0}, {"job-timeouts", 0},
      {"total-jobs", cycles},      {"cmd-put", cycles},        {"cmd-delete", cycles},
  };
  for (const auto& [key, want] : expected) {
    const auto found = stats->find(key);
    uint64_t value = 0;
    if (found == stats->end() || !ParseUnsigned(found->second, &value) || value != want) {
      std::string got = found == stats->end() ? "nothing" : found->second;
      return Status::Corruption("after " + std::to_string(cycles) +
                                " cycles beanstalkd's stats say " + key + ": " + got +
                                " (expected " + std::to_string(want) + ")");
    }
  }
  return Status::Ok();
}

}  // namespace dsc::bench
