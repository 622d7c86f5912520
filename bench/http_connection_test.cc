// HttpConnection against a scripted loopback server: replies it must read,
// replies it must refuse, and what it does when the server closes a
// kept-alive connection under it.
#include "bench/http_connection.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dsc::bench {
namespace {

// Reads one request (headers and a Content-Length body) from `fd`; false
// when the client closed first.
bool ReadRequest(int fd, std::string& request) {
  request.clear();
  char chunk[4096];
  for (;;) {
    const size_t end = request.find("\r\n\r\n");
    if (end != std::string::npos) {
      const size_t at = request.find("Content-Length: ");
      const size_t length = at == std::string::npos ? 0 : std::stoul(request.substr(at + 16));
      if (request.size() >= end + 4 + length) return true;
    }
    const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    request.append(chunk, static_cast<size_t>(n));
  }
}

void SendAll(int fd, const std::string& bytes) {
  ASSERT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
}

std::string Reply(int status, const std::string& body, const std::string& extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" +
         body;
}

// The requests a server received, read by the test thread.
class RequestLog {
 public:
  size_t Add(const std::string& request) {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    return requests_.size();
  }
  std::vector<std::string> Get() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
};

// A loopback server that serves accepted connections one after another:
// `script(fd, request)` answers each request (or closes fd, returning
// false) and sees every request ever received, in order.
class ScriptedServer {
 public:
  using Script = std::function<bool(int fd, const std::string& request)>;

  explicit ScriptedServer(Script script) : script_(std::move(script)) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t size = sizeof address;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    listen(listener_, 8);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    thread_.join();
  }

  int port() const { return port_; }
  int connections() const { return connections_; }

 private:
  void Serve() {
    for (;;) {
      const int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      ++connections_;
      std::string request;
      while (ReadRequest(fd, request) && script_(fd, request)) {
      }
      close(fd);
    }
  }

  Script script_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::thread thread_;
};

TEST(HttpConnectionTest, SendsOneRequestAndReadsStatusAndBody) {
  RequestLog log;
  ScriptedServer server([&](int fd, const std::string& request) {
    log.Add(request);
    SendAll(fd, Reply(201, R"({"id":"t-1"})", "Content-Type: application/json\r\n"));
    return true;
  });
  Result<HttpConnection> connection = HttpConnection::Open(server.port());
  ASSERT_TRUE(connection.ok()) << connection.status().ToString();
  Result<HttpReply> reply = connection->Post("/tasks", R"({"payload":"x"})");
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 201);
  EXPECT_EQ(reply->body, R"({"id":"t-1"})");
  const std::vector<std::string> seen = log.Get();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].starts_with("POST /tasks HTTP/1.1\r\n")) << seen[0];
  EXPECT_NE(seen[0].find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_TRUE(seen[0].ends_with("\r\n\r\n{\"payload\":\"x\"}"));
}

TEST(HttpConnectionTest, KeepsTheConnectionAndReadsBodilessReplies) {
  ScriptedServer server([](int fd, const std::string&) {
    SendAll(fd, "HTTP/1.1 204 No Content\r\n\r\n");
    return true;
  });
  Result<HttpConnection> connection = HttpConnection::Open(server.port());
  ASSERT_TRUE(connection.ok());
  for (int i = 0; i < 3; ++i) {
    Result<HttpReply> reply = connection->Post("/tasks/lease", "{}");
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    EXPECT_EQ(reply->status, 204);
    EXPECT_EQ(reply->body, "");
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST(HttpConnectionTest, ConnectionCloseMeansTheNextRequestGoesOnANewConnection) {
  ScriptedServer server([](int fd, const std::string&) {
    SendAll(fd, Reply(200, "ok", "Connection: close\r\n"));
    return false;
  });
  Result<HttpConnection> connection = HttpConnection::Open(server.port());
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE(connection->Post("/a", "{}").ok());
  ASSERT_TRUE(connection->Post("/b", "{}").ok());
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(connection->reconnects(), 0u);  // not a resend: the server said so
}

TEST(HttpConnectionTest, RefusesRepliesItCannotFrame) {
  for (const std::string& bad :
       {std::string("garbage\r\n\r\n"),
        std::string("HTTP/1.1 200 OK\r\n\r\n"),  // no length
        std::string("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n"),
        std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")}) {
    ScriptedServer server([&](int fd, const std::string&) {
      SendAll(fd, bad);
      return true;
    });
    Result<HttpConnection> connection = HttpConnection::Open(server.port());
    ASSERT_TRUE(connection.ok());
    Result<HttpReply> reply = connection->Post("/x", "{}");
    EXPECT_FALSE(reply.ok()) << bad;
  }
}

// The server answers the first request, then closes the kept-alive
// connection as the second arrives, without answering it.
ScriptedServer::Script AnswerOnceThenDropTheNext(RequestLog& log) {
  return [&log](int fd, const std::string& request) {
    if (log.Add(request) == 2) return false;  // closed unanswered
    SendAll(fd, Reply(200, "ok"));
    return true;
  };
}

TEST(HttpConnectionTest, UnansweredRequestOnAClosedConnectionIsNotResentByDefault) {
  RequestLog log;
  ScriptedServer server(AnswerOnceThenDropTheNext(log));
  Result<HttpConnection> connection = HttpConnection::Open(server.port());
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE(connection->Post("/tasks", "{}").ok());
  EXPECT_FALSE(connection->Post("/tasks", "{}").ok());
  EXPECT_EQ(connection->reconnects(), 0u);
  EXPECT_EQ(log.Get().size(), 2u);  // an enqueue is never sent twice
  // The connection is not reused in an unknown state: the next request
  // opens a new one.
  ASSERT_TRUE(connection->Post("/tasks", "{}").ok());
  EXPECT_EQ(server.connections(), 2);
}

TEST(HttpConnectionTest, ResendOnceIfUnansweredSendsItAgainOnANewConnection) {
  RequestLog log;
  ScriptedServer server(AnswerOnceThenDropTheNext(log));
  Result<HttpConnection> connection = HttpConnection::Open(server.port());
  ASSERT_TRUE(connection.ok());
  const auto put = [&] {
    return connection->Request("PUT", "/kv/k1", "application/octet-stream", "v",
                               HttpConnection::Resend::kOnceIfUnanswered);
  };
  ASSERT_TRUE(put().ok());
  Result<HttpReply> reply = put();
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(connection->reconnects(), 1u);
  EXPECT_EQ(server.connections(), 2);
  const std::vector<std::string> seen = log.Get();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1], seen[2]);  // the same request, sent again
}

}  // namespace
}  // namespace dsc::bench
