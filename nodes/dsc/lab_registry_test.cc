#include "nodes/dsc/lab_registry.h"

#include <gtest/gtest.h>

#include "nodes/dsc/lab_systems.h"

namespace dsc::lab {
namespace {

LabSystem TwoNodeSystem(std::string name, int first_port) {
  LabSystem system;
  system.name = std::move(name);
  system.nodes = {{.id = "n1", .port = first_port}, {.id = "n2", .port = first_port + 1}};
  system.command = [](const LaunchContext& ctx) {
    return std::vector<std::string>{ctx.dsc_binary, "--peers", ctx.PeersFlag()};
  };
  return system;
}

TEST(LabRegistryTest, FindsSystemsAndNodesByName) {
  LabRegistry registry;
  ASSERT_TRUE(registry.Add(TwoNodeSystem("kv", 7101)).ok());
  const LabSystem* kv = registry.Find("kv");
  ASSERT_NE(kv, nullptr);
  EXPECT_NE(FindNode(*kv, "n2"), nullptr);
  EXPECT_EQ(FindNode(*kv, "n9"), nullptr);
  EXPECT_EQ(registry.Find("raft"), nullptr);
}

TEST(LabRegistryTest, RejectsDuplicateNamesAndPorts) {
  LabRegistry registry;
  ASSERT_TRUE(registry.Add(TwoNodeSystem("kv", 7101)).ok());
  EXPECT_TRUE(registry.Add(TwoNodeSystem("kv", 7201)).IsInvalidArgument());
  EXPECT_TRUE(registry.Add(TwoNodeSystem("raft", 7102)).IsInvalidArgument());  // 7102 is kv's
  EXPECT_TRUE(registry.Add(TwoNodeSystem("raft", 7401)).ok());
  EXPECT_EQ(registry.Names(), "kv, raft");
}

TEST(LabRegistryTest, RejectsSystemWithoutNodesOrCommand) {
  LabRegistry registry;
  LabSystem no_nodes = TwoNodeSystem("a", 7000);
  no_nodes.nodes.clear();
  EXPECT_TRUE(registry.Add(no_nodes).IsInvalidArgument());
  LabSystem no_command = TwoNodeSystem("b", 7000);
  no_command.command = nullptr;
  EXPECT_TRUE(registry.Add(no_command).IsInvalidArgument());
}

TEST(LabRegistryTest, ClientNodesHaveNoPortAndServersNeedOne) {
  LabRegistry registry;
  LabSystem system = TwoNodeSystem("queue", 7000);
  system.nodes.push_back({.id = "w1", .port = 0, .kind = LabNodeKind::kClient});
  system.nodes.push_back({.id = "w2", .port = 0, .kind = LabNodeKind::kClient});
  EXPECT_TRUE(registry.Add(system).ok());  // two clients without ports do not clash

  LabRegistry other;
  LabSystem client_with_port = TwoNodeSystem("a", 7000);
  client_with_port.nodes.push_back({.id = "w1", .port = 7005, .kind = LabNodeKind::kClient});
  EXPECT_TRUE(other.Add(client_with_port).IsInvalidArgument());
  LabSystem server_without_port = TwoNodeSystem("b", 7100);
  server_without_port.nodes.push_back({.id = "s", .port = 0});
  EXPECT_TRUE(other.Add(server_without_port).IsInvalidArgument());
}

TEST(LaunchContextTest, UrlOfNamesAServerInPeers) {
  LaunchContext ctx;
  ctx.peers = {{"queue1", "127.0.0.1:9000"}};
  EXPECT_EQ(ctx.UrlOf("queue1"), "http://127.0.0.1:9000");
  EXPECT_EQ(ctx.UrlOf("queue2"), "");
}

TEST(LaunchContextTest, PeersFlagListsEveryNode) {
  LaunchContext ctx;
  ctx.peers = {{"n1", "127.0.0.1:7101"}, {"n2", "127.0.0.1:7102"}};
  EXPECT_EQ(ctx.PeersFlag(), "n1=127.0.0.1:7101,n2=127.0.0.1:7102");
}

TEST(BuiltInLabSystemsTest, LogSystemStartsOneAdminLogNode) {
  LabRegistry registry = BuiltInLabSystems();
  const LabSystem* log = registry.Find("log");
  ASSERT_NE(log, nullptr);
  ASSERT_EQ(log->nodes.size(), 1u);
  EXPECT_EQ(log->nodes[0].id, "log1");
  EXPECT_EQ(log->nodes[0].port, 7500);

  LaunchContext ctx{.dsc_binary = "/bin/dsc",
                    .node_id = "log1",
                    .listen = "127.0.0.1:7500",
                    .data_dir = ".lab/log/log1/data",
                    .admin = true,
                    .peers = {}};
  std::vector<std::string> expected = {"/bin/dsc",       "log",    "serve",
                                       "--id",           "log1",   "--listen",
                                       "127.0.0.1:7500", "--data", ".lab/log/log1/data",
                                       "--admin"};
  EXPECT_EQ(log->command(ctx), expected);
}

TEST(BuiltInLabSystemsTest, QueueSystemIsAServerThenThreeWorkers) {
  LabRegistry registry = BuiltInLabSystems();
  const LabSystem* queue = registry.Find("queue");
  ASSERT_NE(queue, nullptr);
  ASSERT_EQ(queue->nodes.size(), 4u);
  EXPECT_EQ(queue->nodes[0].id, "queue1");
  EXPECT_EQ(queue->nodes[0].port, 7000);
  EXPECT_TRUE(queue->nodes[0].serves_http());
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(queue->nodes[i].id, "worker" + std::to_string(i));
    EXPECT_FALSE(queue->nodes[i].serves_http());
  }

  LaunchContext server{.dsc_binary = "/bin/dsc",
                       .node_id = "queue1",
                       .listen = "127.0.0.1:9000",
                       .data_dir = ".lab/queue/queue1/data",
                       .admin = true,
                       .peers = {{"queue1", "127.0.0.1:9000"}}};
  std::vector<std::string> expected = {"/bin/dsc", "queue", "serve", "--id", "queue1",
                                       "--listen", "127.0.0.1:9000", "--data",
                                       ".lab/queue/queue1/data", "--admin"};
  EXPECT_EQ(queue->command(server), expected);

  LaunchContext worker = server;
  worker.node_id = "worker2";
  worker.listen = "";
  worker.data_dir = "";
  std::vector<std::string> argv = queue->command(worker);
  ASSERT_GE(argv.size(), 7u);
  std::vector<std::string> head(argv.begin(), argv.begin() + 7);
  EXPECT_EQ(head, (std::vector<std::string>{"/bin/dsc", "queue", "worker", "--server",
                                            "http://127.0.0.1:9000", "--id", "worker2"}));
}

}  // namespace
}  // namespace dsc::lab
