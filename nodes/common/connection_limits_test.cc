// Idle and slow clients must not starve a node (docs/RELIABILITY.md,
// family 6). These tests hold many more connections than the node has
// threads and check that /health still answers, that a slow client is cut
// off, and that refused clients hear 503, never a hang. They assert
// outcomes, not tight timings.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "nodes/common/node_server.h"
#include "nodes/common/test_util.h"

namespace dsc::node {
namespace {

using namespace std::chrono_literals;
using testing::RawConnection;

std::unique_ptr<NodeServer> StartNode(size_t threads, size_t max_connections,
                                      std::chrono::milliseconds read_timeout) {
  NodeServerOptions options;
  options.node_id = "guarded";
  options.threads = threads;
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
// ACK (queue_bench once measured 7 cycles/s instead of hundreds).
TEST(ConnectionLimits, AcceptedSocketsSendWithoutNagleDelay) {
  auto server = StartNode(/*threads=*/2, /*max_connections=*/64, /*read_timeout=*/5s);
  httplib::Client client("127.0.0.1", server->port());
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    auto r = client.Get("/health");
    ASSERT_TRUE(r);
  }
  // 50 kept-alive requests at ~40 ms each would take 2 s with Nagle on.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
}

TEST(ConnectionLimits, IdleConnections_DoNotStarveHealth) {
  // Two threads, 500 idle keep-alive connections: idle costs no thread.
  auto server = StartNode(/*threads=*/2, /*max_connections=*/1000, /*read_timeout=*/5s);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 500; ++i) {
    idle.push_back(RawConnection::Connect(server->port()));
    ASSERT_TRUE(idle.back());
  }
  ASSERT_TRUE(testing::PollUntil([&] { return server->open_connections() >= 500; }));
  EXPECT_TRUE(HealthAnswers(server->port()));
  // And the idle ones are still open and usable.
  ASSERT_TRUE(idle.front()->Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto response = idle.front()->ReadResponse(20s);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
}

TEST(ConnectionLimits, SlowLoris_IsCutOffAndHealthStillAnswers) {
  auto server = StartNode(/*threads=*/2, /*max_connections=*/64, /*read_timeout=*/1s);
  std::vector<std::unique_ptr<SlowLoris>> slow;
  for (int i = 0; i < 6; ++i) slow.push_back(std::make_unique<SlowLoris>(server->port(), 100ms));
  EXPECT_TRUE(HealthAnswers(server->port()));
  EXPECT_TRUE(HealthAnswers(server->port()));
}

TEST(ConnectionLimits, SlowLoris_GetsNoMoreThanTheReadTimeout) {
  auto server = StartNode(/*threads=*/2, /*max_connections=*/64, /*read_timeout=*/500ms);
  auto conn = RawConnection::Connect(server->port());
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->Send("GET /health HTTP/1.1\r\nHost: x\r\n"));  // headers never end
  // The server answers (400) and/or closes instead of waiting forever.
  std::optional<testing::RawResponse> response = conn->ReadResponse(20s);
  bool cut_off = response.has_value() || conn->WaitClosed(1s);
  EXPECT_TRUE(cut_off);
}

}  // namespace
}  // namespace dsc::node
