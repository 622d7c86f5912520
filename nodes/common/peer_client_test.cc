#include "nodes/common/peer_client.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>

#include <boost/asio/executor_work_guard.hpp>

#include "nodes/common/node_server.h"
#include "nodes/common/test_async.h"
#include "nodes/common/test_util.h"

namespace dsc::node {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// A socket that listens but never accepts or answers: connections complete
// in the kernel's backlog and then hear nothing.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_, 16);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A PeerClient on an io_context of its own, run by one thread, so a test
// can wait for each call's result.
class ClientLoop {
 public:
  ClientLoop() : work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~ClientLoop() {
    client_.reset();
    work_.reset();
    io_.stop();
    thread_.join();
  }
  PeerClient& Make(std::vector<PeerAddress> peers, PeerClientOptions options = {}) {
    client_ = std::make_unique<PeerClient>(io_.get_executor(), "n1", std::move(peers), options);
    return *client_;
  }
  Result<PeerResponse> Run(Awaitable<Result<PeerResponse>> call) {
    return testing::RunAndWait(io_.get_executor(), std::move(call));
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  std::unique_ptr<PeerClient> client_;
};

TEST(PeerClient, Call_UnknownPeerIsNotFound) {
  ClientLoop loop;
  PeerClient& client = loop.Make({});
  Result<PeerResponse> r = loop.Run(client.Get("n9", "/health"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound());
}

TEST(PeerClient, Call_RefusedConnectionIsUnavailable) {
  int port = testing::PickFreePort();  // nobody listens there
  ClientLoop loop;
  PeerClient& client = loop.Make({{"n2", "127.0.0.1", port}});
  Result<PeerResponse> r = loop.Run(client.Get("n2", "/health"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsUnavailable());
  EXPECT_THAT(r.status().message(), HasSubstr("n2=127.0.0.1:" + std::to_string(port)));
}

TEST(PeerClient, Call_PeerThatNeverAnswersTimesOut) {
  SilentListener silent;
  PeerClientOptions options;
  options.request_timeout = 200ms;
  ClientLoop loop;
  PeerClient& client = loop.Make({{"n2", "127.0.0.1", silent.port()}}, options);
  auto start = std::chrono::steady_clock::now();
  Result<PeerResponse> r = loop.Run(client.Post("n2", "/raft/append_entries", {{"term", 1}}));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsUnavailable());
  EXPECT_THAT(r.status().message(), HasSubstr("no answer within 200 ms"));
  // Bounded by the timeout, not forever (loose: shared CI machines).
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

std::unique_ptr<NodeServer> StartPeer(NodeServerOptions options = {}) {
  options.node_id = "n2";
  options.threads = 2;
  auto server = std::make_unique<NodeServer>(options);
  server->Get("/text", [](Request&) -> Awaitable<Response> { co_return ReplyText(200, "plain"); });
  EXPECT_TRUE(server->Start().ok());
  return server;
}

TEST(PeerClient, Call_ReturnsStatusAndJsonOfErrors) {
  auto server = StartPeer();
  ClientLoop loop;
  PeerClient& client = loop.Make({{"n2", "127.0.0.1", server->port()}});

  Result<PeerResponse> missing = loop.Run(client.Get("n2", "/missing"));
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body["error"], "not_found");

  Result<PeerResponse> text = loop.Run(client.Get("n2", "/text"));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->status, 200);
  EXPECT_TRUE(text->body.is_null());
}

TEST(PeerClient, Calls_ReuseOneKeptAliveConnection) {
  auto server = StartPeer();
  ClientLoop loop;
  PeerClient& client = loop.Make({{"n2", "127.0.0.1", server->port()}});
  for (int i = 0; i < 20; ++i) {
    Result<PeerResponse> r = loop.Run(client.Get("n2", "/health"));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
  }
  // Twenty calls, one after another: one connection, still open.
  EXPECT_EQ(server->open_connections(), 1u);
}

TEST(PeerClient, Call_AfterThePeerClosedAnIdleConnectionIsRetriedFresh) {
  NodeServerOptions options;
  options.keep_alive_timeout = 100ms;
  auto server = StartPeer(options);
  ClientLoop loop;
  PeerClient& client = loop.Make({{"n2", "127.0.0.1", server->port()}});
  ASSERT_TRUE(loop.Run(client.Get("n2", "/health")).ok());
  // The server closes the pooled connection as idle...
  ASSERT_TRUE(testing::PollUntil([&] { return server->open_connections() == 0; }));
  // ...and the next call notices, reconnects and succeeds.
  Result<PeerResponse> r = loop.Run(client.Get("n2", "/health"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(client.failures(), 0u);
}

TEST(PeerClient, Calls_InParallelAllSucceed) {
  auto server = StartPeer();
  ClientLoop loop;
  PeerClient& client = loop.Make({{"n2", "127.0.0.1", server->port()}});
  std::vector<std::future<Result<PeerResponse>>> calls;
  for (int i = 0; i < 40; ++i) {
    calls.push_back(std::async(std::launch::async, [&] {
      return testing::RunAndWait(client.executor(), client.Get("n2", "/health"));
    }));
  }
  int ok = 0;
  for (auto& call : calls) {
    Result<PeerResponse> r = call.get();
    if (r.ok() && r->status == 200) ++ok;
  }
  EXPECT_EQ(ok, 40);
  EXPECT_EQ(client.calls(), 40u);
}

}  // namespace
}  // namespace dsc::node
