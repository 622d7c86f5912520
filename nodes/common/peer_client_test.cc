#include "nodes/common/peer_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nodes/common/node_server.h"
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

TEST(PeerClient, Call_UnknownPeerIsNotFound) {
  PeerClient client("n1", {});
  Result<PeerResponse> r = client.Get("n9", "/health");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound());
}

TEST(PeerClient, Call_RefusedConnectionIsUnavailable) {
  int port = testing::PickFreePort();  // nobody listens there
  PeerClient client("n1", {{"n2", "127.0.0.1", port}});
  Result<PeerResponse> r = client.Get("n2", "/health");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsUnavailable());
  EXPECT_THAT(r.status().message(), HasSubstr("n2=127.0.0.1:" + std::to_string(port)));
}

TEST(PeerClient, Call_PeerThatNeverAnswersTimesOut) {
  SilentListener silent;
  PeerClientOptions options;
  options.read_timeout = 200ms;
  PeerClient client("n1", {{"n2", "127.0.0.1", silent.port()}}, options);
  auto start = std::chrono::steady_clock::now();
  Result<PeerResponse> r = client.Post("n2", "/raft/append_entries", {{"term", 1}});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsUnavailable());
  EXPECT_THAT(r.status().message(), HasSubstr("no answer within 200 ms"));
  // Bounded by the timeout, not forever (loose: shared CI machines).
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(PeerClient, Call_ReturnsStatusAndJsonOfErrors) {
  NodeServerOptions options;
  options.node_id = "n2";
  options.worker_threads = 2;
  NodeServer server(options);
  server.Get("/text", [](const Request&, httplib::Response& res) {
    res.set_content("plain", "text/plain");
  });
  ASSERT_TRUE(server.Start().ok());
  PeerClient client("n1", {{"n2", "127.0.0.1", server.port()}});

  Result<PeerResponse> missing = client.Get("n2", "/missing");
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body["error"], "not_found");

  Result<PeerResponse> text = client.Get("n2", "/text");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->status, 200);
  EXPECT_TRUE(text->body.is_null());
}

TEST(PeerClient, Call_IsSafeFromManyThreads) {
  NodeServerOptions options;
  options.node_id = "n2";
  options.worker_threads = 4;
  NodeServer server(options);
  ASSERT_TRUE(server.Start().ok());
  PeerClient client("n1", {{"n2", "127.0.0.1", server.port()}});
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        Result<PeerResponse> r = client.Get("n2", "/health");
        if (r.ok() && r->status == 200) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 40);
}

}  // namespace
}  // namespace dsc::node
