// Process-level tests of the log node: the real binary, real files, real
// signals. The crash test is docs/RELIABILITY.md's family 1 in miniature: drive
// concurrent appends, SIGKILL the node, restart it, and check that every
// record acknowledged with 201 is still there with the same LSN and payload.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "nodes/common/test_expectations.h"
#include "nodes/common/test_util.h"
#include "nodes/log/record_json.h"

namespace dsc::lognode {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
namespace testing = node::testing;

// One run of the log node binary as a child process.
class NodeProcess : public node::testing::ChildProcess {
 public:
  NodeProcess(const std::vector<std::string>& args, const std::string& output_prefix)
      : ChildProcess(DSC_LOG_NODE_BINARY, args, output_prefix) {}
};

bool Healthy(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1s);
  client.set_read_timeout(5s);
  auto r = client.Get("/health");
  return r && r->status == 200;
}

class LogNodeProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("dsc_log_node_");
    ASSERT_FALSE(dir_.empty());
    port_ = testing::PickFreePort();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<NodeProcess> Launch(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--id", "log1", "--listen", "127.0.0.1:" + std::to_string(port_),
                                     "--data", dir_ + "/data", "--fsync", "always"};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<NodeProcess>(args, dir_ + "/node" + std::to_string(launches_++));
  }

  std::unique_ptr<NodeProcess> LaunchReady(std::vector<std::string> extra = {}) {
    auto node = Launch(std::move(extra));
    EXPECT_TRUE(testing::PollUntil([&] { return Healthy(port_); })) << node->Stderr();
    return node;
  }

  // Every record the node holds, by LSN, read page by page.
  std::map<uint64_t, nlohmann::json> ReadAll() {
    std::map<uint64_t, nlohmann::json> records;
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(20s);
    uint64_t from = 1;
    for (;;) {
      auto r = client.Get("/records?from=" + std::to_string(from) + "&limit=1000");
      EXPECT_TRUE(r && r->status == 200);
      if (!r || r->status != 200) break;
      nlohmann::json body = nlohmann::json::parse(r->body);
      if (body["records"].empty()) break;
      for (const auto& record : body["records"]) records[record["lsn"].get<uint64_t>()] = record;
      from = body["next_from"].get<uint64_t>();
    }
    return records;
  }

  std::string dir_;
  int port_ = 0;
  int launches_ = 0;
};

TEST_F(LogNodeProcessTest, KillDuringConcurrentAppends_LosesNoAcknowledgedRecord) {
  constexpr int kWriters = 4;
  constexpr int kCycles = 3;
  std::mutex mutex;
  std::map<uint64_t, nlohmann::json> acked;  // lsn -> the record as the node must show it

  for (int cycle = 0; cycle < kCycles; ++cycle) {
    auto node = LaunchReady();
    const size_t acked_before = acked.size();
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        httplib::Client client("127.0.0.1", port_);
        client.set_read_timeout(10s);
        for (int i = 0; !stop; ++i) {
          // Every third payload is binary, so base64 survives a crash too.
          std::string payload = "c" + std::to_string(cycle) + "w" + std::to_string(w) + "-" + std::to_string(i);
          if (i % 3 == 0) payload += std::string("\x00\xff\xfe", 3);
          const uint8_t type = static_cast<uint8_t>(1 + i % 5);
          auto r = client.Post("/records?type=" + std::to_string(type), payload, "application/octet-stream");
          if (!r) break;  // the node died
          if (r->status != 201) continue;
          uint64_t lsn = nlohmann::json::parse(r->body)["lsn"].get<uint64_t>();
          std::lock_guard<std::mutex> lock(mutex);
          EXPECT_FALSE(acked.contains(lsn)) << "LSN " << lsn << " acknowledged twice";
          acked[lsn] = RecordToJson(wal::Record{lsn, type, payload});
        }
      });
    }
    ASSERT_TRUE(testing::PollUntil([&] {
      std::lock_guard<std::mutex> lock(mutex);
      return acked.size() >= acked_before + 150;
    }));
    node->Signal(SIGKILL);  // mid-load: some appends are in flight
    ASSERT_EQ(node->WaitExit(20s), 128 + SIGKILL);
    stop = true;
    for (auto& t : writers) t.join();
  }

  auto node = LaunchReady();
  std::map<uint64_t, nlohmann::json> held = ReadAll();
  for (const auto& [lsn, record] : acked) {
    auto it = held.find(lsn);
    ASSERT_NE(it, held.end()) << "acknowledged LSN " << lsn << " lost";
    EXPECT_EQ(it->second, record) << "LSN " << lsn;
  }
  // The log is gap-free and appends continue after the last record.
  ASSERT_FALSE(held.empty());
  EXPECT_EQ(held.begin()->first, 1u);
  EXPECT_EQ(held.rbegin()->first, held.size());
  httplib::Client client("127.0.0.1", port_);
  auto r = client.Post("/records", "after", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(nlohmann::json::parse(r->body)["lsn"], held.size() + 1);
}

TEST_F(LogNodeProcessTest, BadRequests_Get4xxJsonAndNodeStaysHealthy) {
  auto node = LaunchReady({"--max-body-bytes", "65536", "--admin"});
  httplib::Client client("127.0.0.1", port_);
  client.set_read_timeout(20s);
  const auto expect_error = testing::ExpectJsonError;

  expect_error(client.Post("/records", std::string(100'000, 'x'), "text/plain"), 413, "too_large");
  expect_error(client.Post("/records?type=0", "x", "text/plain"), 400, "bad_request");
  expect_error(client.Post("/records?type=banana", "x", "text/plain"), 400, "bad_request");
  expect_error(client.Get("/records?from=-3"), 400, "bad_request");
  expect_error(client.Get("/records?limit=zero"), 400, "bad_request");
  expect_error(client.Get("/nothing/here"), 404, "not_found");
  expect_error(client.Delete("/records"), 405, "method_not_allowed");
  expect_error(client.Post("/admin/faults", "{\"drop_rate\":", "application/json"), 400, "bad_request");
  expect_error(client.Post("/admin/faults", R"({"drop_rate":3})", "application/json"), 400, "bad_request");

  testing::ExpectGarbageGets4xxJson(port_, "/records");

  EXPECT_TRUE(Healthy(port_));
  auto ok = client.Post("/records", "still works", "text/plain");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 201);
  EXPECT_EQ(nlohmann::json::parse(ok->body)["lsn"], 1);  // no bad request was logged
}

TEST_F(LogNodeProcessTest, Sigterm_ExitsZeroAndKeepsRecords) {
  {
    auto node = LaunchReady();
    httplib::Client client("127.0.0.1", port_);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(client.Post("/records", "r", "text/plain")->status, 201);
    node->Signal(SIGTERM);
    EXPECT_EQ(node->WaitExit(20s), 0) << node->Stderr();
  }
  auto node = LaunchReady({"--fsync", "never"});  // later flags win
  EXPECT_EQ(ReadAll().size(), 3u);
  httplib::Client client("127.0.0.1", port_);
  auto status = client.Get("/status");
  ASSERT_TRUE(status);
  nlohmann::json body = nlohmann::json::parse(status->body);
  EXPECT_EQ(body["last_lsn"], 3);
  EXPECT_EQ(body["fsync"], "never");
  node->Signal(SIGINT);
  EXPECT_EQ(node->WaitExit(20s), 0);
}

TEST_F(LogNodeProcessTest, BusyPort_ExitsNonZeroWithReason) {
  auto first = LaunchReady();
  std::vector<std::string> args = {"--listen", "127.0.0.1:" + std::to_string(port_), "--data",
                                   dir_ + "/other"};
  NodeProcess second(args, dir_ + "/second");
  std::optional<int> code = second.WaitExit(20s);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_THAT(second.Stderr(), HasSubstr("127.0.0.1:" + std::to_string(port_)));
  EXPECT_TRUE(Healthy(port_));  // the first node is unharmed
}

TEST_F(LogNodeProcessTest, DataDirInUse_ExitsNonZero) {
  auto first = LaunchReady();
  std::vector<std::string> args = {"--listen", "127.0.0.1:" + std::to_string(testing::PickFreePort()),
                                   "--data", dir_ + "/data"};
  NodeProcess second(args, dir_ + "/second");
  std::optional<int> code = second.WaitExit(20s);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_THAT(second.Stderr(), HasSubstr("cannot open the log"));
}

TEST_F(LogNodeProcessTest, UnusableDataDir_ExitsNonZeroWithOneLine) {
  const std::string file = dir_ + "/a-file";
  std::ofstream(file) << "not a directory";
  NodeProcess node({"--listen", "127.0.0.1:" + std::to_string(port_), "--data", file}, dir_ + "/n");
  std::optional<int> code = node.WaitExit(20s);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  std::string err = node.Stderr();
  EXPECT_THAT(err, HasSubstr(file));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST_F(LogNodeProcessTest, BadOptions_ExitNonZeroWithOneLine) {
  const std::vector<std::vector<std::string>> cases = {
      {"--data", dir_ + "/d", "--fsync", "sometimes"},
      {"--data", dir_ + "/d", "--listen", "nowhere"},
      {"--data", dir_ + "/d", "--id", "bad id"},
      {"--listen", "127.0.0.1:1"},  // no --data
  };
  for (const auto& args : cases) {
    NodeProcess node(args, dir_ + "/bad");
    std::optional<int> code = node.WaitExit(20s);
    ASSERT_TRUE(code.has_value());
    EXPECT_NE(*code, 0) << args[2];
    std::string err = node.Stderr();
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  }
}

}  // namespace
}  // namespace dsc::lognode
