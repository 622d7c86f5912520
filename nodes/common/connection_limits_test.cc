// Idle and slow clients must not starve a node (RELIABILITY.md, family 6).
// These tests hold more connections than the node has workers and check
// that /health still answers and that refused clients hear 503 or a close,
// never a hang. They assert outcomes, not tight timings.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "nodes/common/guarded_http_server.h"
#include "nodes/common/node_server.h"
#include "nodes/common/test_util.h"

namespace dsc::node {
namespace {

using namespace std::chrono_literals;
using testing::RawConnection;

std::unique_ptr<NodeServer> StartNode(size_t workers, size_t max_connections,
                                      std::chrono::milliseconds read_timeout) {
  NodeServerOptions options;
  options.node_id = "guarded";
  options.worker_threads = workers;
  options.max_connections = max_connections;
  options.read_timeout = read_timeout;
  auto server = std::make_unique<NodeServer>(options);
  EXPECT_TRUE(server->Start().ok());
  return server;
}

bool HealthAnswers(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5s);
  client.set_read_timeout(20s);
  auto r = client.Get("/health");
  return r && r->status == 200;
}

// Sends a request one byte at a time, every `gap`, until stopped.
class SlowLoris {
 public:
  SlowLoris(int port, std::chrono::milliseconds gap) : conn_(RawConnection::Connect(port)) {
    thread_ = std::thread([this, gap] {
      const std::string request = "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ";
      for (size_t i = 0; !stop_ && conn_; ++i) {
        char c = i < request.size() ? request[i] : 'a';
        if (!conn_->Send(std::string_view(&c, 1))) break;
        std::this_thread::sleep_for(gap);
      }
    });
  }
  ~SlowLoris() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::unique_ptr<RawConnection> conn_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Without TCP_NODELAY each keep-alive request waits ~40 ms for a delayed
// ACK (queue_bench measured 7 cycles/s instead of hundreds).
TEST(ConnectionLimits, AcceptedSocketsSendWithoutNagleDelay) {
  const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  GuardedHttpServer::ConfigureAcceptedSocket(sock);
  int nodelay = 0;
  socklen_t size = sizeof(nodelay);
  ASSERT_EQ(::getsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &nodelay, &size), 0);
  EXPECT_NE(nodelay, 0);
  ::close(sock);
}

TEST(ConnectionLimits, IdleConnections_DoNotStarveHealth) {
  auto server = StartNode(/*workers=*/2, /*max_connections=*/64, /*read_timeout=*/5s);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 20; ++i) {
    idle.push_back(RawConnection::Connect(server->port()));
    ASSERT_TRUE(idle.back());
  }
  EXPECT_TRUE(HealthAnswers(server->port()));
  // The idle connections were given up for the waiting request.
  EXPECT_TRUE(idle.front()->WaitClosed(20s));
}

TEST(ConnectionLimits, SlowLoris_IsCutOffAndHealthStillAnswers) {
  auto server = StartNode(/*workers=*/2, /*max_connections=*/64, /*read_timeout=*/1s);
  std::vector<std::unique_ptr<SlowLoris>> slow;
  for (int i = 0; i < 6; ++i) slow.push_back(std::make_unique<SlowLoris>(server->port(), 100ms));
  EXPECT_TRUE(HealthAnswers(server->port()));
  EXPECT_TRUE(HealthAnswers(server->port()));
}

TEST(ConnectionLimits, SlowLoris_GetsNoMoreThanTheReadTimeout) {
  auto server = StartNode(/*workers=*/2, /*max_connections=*/64, /*read_timeout=*/500ms);
  auto conn = RawConnection::Connect(server->port());
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->Send("GET /health HTTP/1.1\r\nHost: x\r\n"));  // headers never end
  // The server answers (400) and/or closes instead of waiting forever.
  std::optional<testing::RawResponse> response = conn->ReadResponse(20s);
  bool cut_off = response.has_value() || conn->WaitClosed(1s);
  EXPECT_TRUE(cut_off);
}

TEST(ConnectionLimits, OverTheBound_ClientGets503OrCloseNotAHang) {
  auto server = StartNode(/*workers=*/1, /*max_connections=*/2, /*read_timeout=*/3s);
  // Two connections mid-request fill the bound (one served, one waiting).
  auto slow1 = RawConnection::Connect(server->port());
  auto slow2 = RawConnection::Connect(server->port());
  ASSERT_TRUE(slow1 && slow2);
  ASSERT_TRUE(slow1->Send("GET /health HTTP/1.1\r\n"));
  ASSERT_TRUE(slow2->Send("GET /health HTTP/1.1\r\n"));

  auto extra = RawConnection::Connect(server->port());
  ASSERT_TRUE(extra);
  extra->Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");  // may fail if already closed
  std::optional<testing::RawResponse> response = extra->ReadResponse(2s);
  if (response.has_value()) {
    EXPECT_EQ(response->status, 503);
    EXPECT_EQ(nlohmann::json::parse(response->body)["error"], "overloaded");
  } else {
    EXPECT_TRUE(extra->WaitClosed(1s)) << "neither a 503 nor a close: the client hangs";
  }

  // Once the slow clients go, the node serves again and counted the refusal.
  slow1.reset();
  slow2.reset();
  ASSERT_TRUE(testing::PollUntil([&] { return HealthAnswers(server->port()); }));
  httplib::Client client("127.0.0.1", server->port());
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  const std::string counter = "\ndsc_http_rejected_connections_total ";
  size_t at = metrics->body.find(counter);
  ASSERT_NE(at, std::string::npos) << metrics->body;
  // At least our extra connection; a health probe may have been refused too.
  EXPECT_GE(std::stod(metrics->body.substr(at + counter.size())), 1.0);
}

}  // namespace
}  // namespace dsc::node
