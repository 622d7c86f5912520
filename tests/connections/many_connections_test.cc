// Ten thousand clients on one node process (docs/RELIABILITY.md, family
// 6): an idle or waiting connection costs the node memory, not a thread,
// so all of them are served, stay open, and the node still answers a new
// client at once. The node is the real `dsc log serve`.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/resource.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nodes/common/test_util.h"

namespace dsc {
namespace {

using namespace std::chrono_literals;
using node::testing::ChildProcess;
using node::testing::PollUntil;
using node::testing::RawConnection;

constexpr int kConnections = 10'000;

// Both ends of every connection count against an open-file limit: ours
// here, the node's in the child (which raises its own).
bool RaiseOpenFileLimit(rlim_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  if (limit.rlim_cur >= wanted) return true;
  limit.rlim_cur = std::min(wanted, limit.rlim_max);
  return ::setrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur >= wanted;
}

double GaugeValue(const std::string& metrics, const std::string& name) {
  const size_t at = metrics.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(metrics.substr(at + name.size() + 2));
}

TEST(ManyConnections, TenThousandClientsAreServedAndStayOpen) {
  if (!RaiseOpenFileLimit(kConnections + 512)) {
    GTEST_SKIP() << "the open-file hard limit is below " << kConnections + 512;
  }
  const std::string dir = node::testing::MakeTempDir("many-connections");
  const int port = node::testing::PickFreePort();
  ChildProcess node(DSC_BINARY,
                    {"log", "serve", "--id", "many", "--listen",
                     "127.0.0.1:" + std::to_string(port), "--data", dir + "/data"},
                    dir + "/node");
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(20s);
  ASSERT_TRUE(PollUntil([&] {
    auto r = client.Get("/health");
    return r && r->status == 200;
  })) << node.Stderr();

  // Every client connects and asks once; each gets its answer and keeps
  // its connection open.
  std::vector<std::unique_ptr<RawConnection>> clients;
  clients.reserve(kConnections);
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(RawConnection::Connect(port));
    ASSERT_TRUE(clients.back()) << "connection " << i;
    ASSERT_TRUE(clients.back()->Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")) << i;
  }
  for (int i = 0; i < kConnections; ++i) {
    auto response = clients[i]->ReadResponse(60s);
    ASSERT_TRUE(response.has_value()) << "client " << i << " got no answer";
    ASSERT_EQ(response->status, 200) << i;
  }

  // All of them are still open on the node...
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_GE(GaugeValue(metrics->body, "dsc_http_open_connections"), kConnections);

  // ...a new client is served at once, and a durable write works...
  auto write = client.Post("/records", "while ten thousand wait", "text/plain");
  ASSERT_TRUE(write);
  EXPECT_EQ(write->status, 201) << write->body;

  // ...and the kept-alive connections answer a second request.
  for (int i = 0; i < kConnections; i += 97) {
    ASSERT_TRUE(clients[i]->Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")) << i;
    auto again = clients[i]->ReadResponse(20s);
    ASSERT_TRUE(again.has_value()) << "client " << i << " was dropped";
    EXPECT_EQ(again->status, 200);
  }

  // The node closes first, so the ten thousand TIME_WAITs sit on its
  // port rather than on ephemeral ports other tests may want to bind.
  node.Signal(SIGTERM);
  EXPECT_EQ(node.WaitExit(30s), 0) << node.Stderr();
  clients.clear();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dsc
