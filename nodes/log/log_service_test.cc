#include "nodes/log/log_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "nodes/common/node_server.h"
#include "nodes/common/test_util.h"
#include "wal/gated_file_system.h"

namespace dsc::lognode {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

class LogServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(wal::LogOptions::For("log")); }

  void Open(wal::LogOptions options) {
    client_.reset();
    server_.reset();
    service_.reset();
    log_.reset();
    options.fs = &fs_;
    auto log = wal::Log::Open("/data/log", options);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(log).value();
    service_ = std::make_unique<LogService>("log1", log_.get(), "always",
                                            [this](const Status&) { ++fatal_calls_; });
    node::NodeServerOptions server_options;
    server_options.node_id = "log1";
    server_ = std::make_unique<node::NodeServer>(server_options);
    service_->Register(*server_);
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(20s);
  }

  uint64_t Post(const std::string& path, const std::string& body) {
    auto r = client_->Post(path, body, "application/octet-stream");
    EXPECT_TRUE(r);
    if (!r) return 0;
    EXPECT_EQ(r->status, 201) << r->body;
    return nlohmann::json::parse(r->body).value("lsn", uint64_t{0});
  }

  nlohmann::json GetJson(const std::string& path, int expected_status = 200) {
    auto r = client_->Get(path);
    EXPECT_TRUE(r);
    if (!r) return nullptr;
    EXPECT_EQ(r->status, expected_status) << path << " -> " << r->body;
    return nlohmann::json::parse(r->body);
  }

  wal::GatedFileSystem fs_;  // a MemFileSystem whose syncs a test may hold
  std::unique_ptr<wal::Log> log_;
  std::unique_ptr<LogService> service_;
  std::unique_ptr<node::NodeServer> server_;
  std::unique_ptr<httplib::Client> client_;
  std::atomic<int> fatal_calls_{0};
};

TEST_F(LogServiceTest, Append_Returns201WithConsecutiveLsns) {
  EXPECT_EQ(Post("/records", "a"), 1u);
  EXPECT_EQ(Post("/records", "b"), 2u);
  EXPECT_EQ(log_->durable_lsn(), 2u);  // acknowledged means durable under `always`
}

TEST_F(LogServiceTest, Append_AnyContentTypeAndEmptyBody) {
  auto r = client_->Post("/records", "{\"not\":\"parsed\"}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  auto empty = client_->Post("/records", "", "text/plain");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 201);
  nlohmann::json records = GetJson("/records")["records"];
  EXPECT_EQ(records[0]["payload"], "{\"not\":\"parsed\"}");
  EXPECT_EQ(records[1]["payload"], "");
}

TEST_F(LogServiceTest, Append_TypeFromQueryOrHeader) {
  Post("/records?type=7", "q");
  httplib::Headers headers = {{kRecordTypeHeader, "9"}};
  auto r = client_->Post("/records", headers, "h", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  Post("/records", "default");
  nlohmann::json records = GetJson("/records")["records"];
  EXPECT_EQ(records[0]["type"], 7);
  EXPECT_EQ(records[1]["type"], 9);
  EXPECT_EQ(records[2]["type"], 1);
}

TEST_F(LogServiceTest, Append_BadTypeIs400) {
  for (const char* type : {"0", "256", "abc", "-1", "1.5", ""}) {
    auto r = client_->Post(std::string("/records?type=") + type, "x", "text/plain");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << type;
    EXPECT_EQ(nlohmann::json::parse(r->body)["error"], "bad_request");
  }
  httplib::Headers headers = {{kRecordTypeHeader, "3"}};
  auto both = client_->Post("/records?type=4", headers, "x", "text/plain");
  ASSERT_TRUE(both);
  EXPECT_EQ(both->status, 400);
  EXPECT_EQ(log_->last_lsn(), 0u);
}

TEST_F(LogServiceTest, Read_TextAsStringBinaryAsBase64) {
  Post("/records", "hello");
  Post("/records", std::string("\x00\xff", 2));
  nlohmann::json body = GetJson("/records?from=1");
  ASSERT_EQ(body["records"].size(), 2u);
  EXPECT_EQ(body["records"][0], (nlohmann::json{{"lsn", 1}, {"type", 1}, {"payload", "hello"}}));
  EXPECT_EQ(body["records"][1]["payload"], "AP8=");
  EXPECT_EQ(body["records"][1]["encoding"], "base64");
  EXPECT_EQ(body["next_from"], 3);
}

TEST_F(LogServiceTest, Read_PagesWithLimitAndNextFrom) {
  for (int i = 0; i < 5; ++i) Post("/records", "r" + std::to_string(i));
  nlohmann::json page = GetJson("/records?from=2&limit=2");
  ASSERT_EQ(page["records"].size(), 2u);
  EXPECT_EQ(page["records"][0]["lsn"], 2);
  EXPECT_EQ(page["next_from"], 4);
  nlohmann::json rest = GetJson("/records?from=4&limit=100");
  EXPECT_EQ(rest["records"].size(), 2u);
  nlohmann::json beyond = GetJson("/records?from=100");
  EXPECT_TRUE(beyond["records"].empty());
  EXPECT_EQ(beyond["next_from"], 100);
}

TEST_F(LogServiceTest, Read_LimitIsCappedAt1000) {
  std::vector<std::string> payloads(1001, "x");
  std::vector<wal::Entry> entries;
  for (const auto& p : payloads) entries.push_back(wal::Entry{1, p});
  ASSERT_TRUE(log_->AppendBatch(entries).ok());
  EXPECT_EQ(GetJson("/records")["records"].size(), kDefaultReadLimit);
  EXPECT_EQ(GetJson("/records?limit=5000")["records"].size(), kMaxReadLimit);
}

TEST_F(LogServiceTest, Read_BadNumbersAre400) {
  for (const char* query : {"from=abc", "from=0", "from=-1", "from=", "limit=0", "limit=x",
                            "from=99999999999999999999999"}) {
    nlohmann::json body = GetJson(std::string("/records?") + query, 400);
    EXPECT_EQ(body["error"], "bad_request") << query;
  }
}

TEST_F(LogServiceTest, Read_BelowFirstLsnIs404Compacted) {
  wal::LogOptions options;
  options.system = "log";
  options.segment_bytes = 64;  // a new segment every record or two
  Open(options);
  for (int i = 0; i < 10; ++i) Post("/records", std::string(40, 'a' + i));
  ASSERT_TRUE(log_->DropPrefix(8).ok());
  ASSERT_GT(log_->first_lsn(), 1u);
  nlohmann::json body = GetJson("/records?from=1", 404);
  EXPECT_EQ(body["error"], "compacted");
  EXPECT_EQ(body["first_lsn"], log_->first_lsn());
  // Reading without `from` starts at the first record held.
  EXPECT_EQ(GetJson("/records")["records"][0]["lsn"], log_->first_lsn());
}

TEST_F(LogServiceTest, Status_ReportsLsnsAndPolicy) {
  Post("/records", "a");
  nlohmann::json status = GetJson("/status");
  EXPECT_EQ(status["id"], "log1");
  EXPECT_EQ(status["first_lsn"], 1);
  EXPECT_EQ(status["last_lsn"], 1);
  EXPECT_EQ(status["durable_lsn"], 1);
  EXPECT_EQ(status["fsync"], "always");
  EXPECT_EQ(status["healthy"], true);
}

TEST_F(LogServiceTest, Metrics_IncludeWalStats) {
  Post("/records", "a");
  Post("/records", "b");
  auto r = client_->Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_THAT(r->body,
              HasSubstr("# TYPE dsc_wal_appends_total counter\ndsc_wal_appends_total 2\n"));
  EXPECT_THAT(r->body, HasSubstr("dsc_wal_syncs_total "));
  EXPECT_THAT(r->body, HasSubstr("dsc_wal_groups_total "));
  EXPECT_THAT(r->body, HasSubstr("dsc_wal_bytes_total "));
  EXPECT_THAT(r->body, HasSubstr("dsc_wal_last_lsn 2\n"));
}

TEST_F(LogServiceTest, Append_ConcurrentClientsGetUniqueDurableLsns) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::mutex mutex;
  std::set<uint64_t> lsns;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client client("127.0.0.1", server_->port());
      for (int i = 0; i < kPerThread; ++i) {
        auto r = client.Post("/records", "t" + std::to_string(t) + "-" + std::to_string(i),
                             "text/plain");
        if (!r || r->status != 201) continue;
        std::lock_guard<std::mutex> lock(mutex);
        lsns.insert(nlohmann::json::parse(r->body)["lsn"].get<uint64_t>());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(lsns.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*lsns.rbegin(), static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(log_->durable_lsn(), static_cast<uint64_t>(kThreads * kPerThread));
}

TEST_F(LogServiceTest, Poisoned_AppendIs503AndReportsFatalOnce) {
  Post("/records", "before");
  fs_.mem().FailSyncs(true);
  for (int i = 0; i < 2; ++i) {
    auto r = client_->Post("/records", "after", "text/plain");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(nlohmann::json::parse(r->body)["error"], "unavailable");
  }
  EXPECT_EQ(fatal_calls_.load(), 1);
  nlohmann::json status = GetJson("/status");
  EXPECT_EQ(status["healthy"], false);
  EXPECT_TRUE(status.contains("error"));
  // A poisoned log serves nothing until it is reopened (recovered).
  EXPECT_EQ(GetJson("/records?from=1", 503)["error"], "unavailable");
}

// The 201 waits for the sync; a client that hangs up meanwhile does not
// take its record with it, and the server goes on serving.
TEST_F(LogServiceTest, Append_ClientGoneBeforeDurableReplyStillLands) {
  fs_.Close(wal::GatedFileSystem::Gate::kSync);
  {
    auto connection = node::testing::RawConnection::Connect(server_->port());
    ASSERT_TRUE(connection);
    ASSERT_TRUE(
        connection->Send("POST /records HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\norphan!"));
    // Appended and waiting for its sync: then the client goes away.
    fs_.AwaitWaiter(wal::GatedFileSystem::Gate::kSync);
    EXPECT_EQ(log_->last_lsn(), 1u);
    EXPECT_EQ(log_->durable_lsn(), 0u);
  }
  fs_.Open(wal::GatedFileSystem::Gate::kSync);
  EXPECT_TRUE(node::testing::PollUntil([&] { return log_->durable_lsn() == 1; }));
  nlohmann::json records = GetJson("/records?from=1")["records"];
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["payload"], "orphan!");
  EXPECT_EQ(Post("/records", "next"), 2u);
  EXPECT_EQ(fatal_calls_.load(), 0);
}

// A failed fdatasync poisons the log (wal/log.h): every reply still
// waiting for durability gets 503, as does every later append, and the
// node is told once to stop (on_fatal), so a restart recovers by replay.
TEST_F(LogServiceTest, SyncFailure_FailsEveryPendingReplyWith503) {
  constexpr int kPending = 5;
  fs_.Close(wal::GatedFileSystem::Gate::kSync);
  std::vector<std::unique_ptr<node::testing::RawConnection>> clients;
  for (int i = 0; i < kPending; ++i) {
    clients.push_back(node::testing::RawConnection::Connect(server_->port()));
    ASSERT_TRUE(clients.back());
    ASSERT_TRUE(
        clients.back()->Send("POST /records HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nwait"));
  }
  // Every record is written and its reply parked until a sync covers it.
  ASSERT_TRUE(node::testing::PollUntil([&] { return log_->durable_waiters() == kPending; }));
  fs_.FailSyncs();
  fs_.Open(wal::GatedFileSystem::Gate::kSync);
  for (auto& client : clients) {
    auto response = client->ReadResponse(20s);
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 503) << response->body;
    EXPECT_EQ(nlohmann::json::parse(response->body)["error"], "unavailable");
  }
  auto later = client_->Post("/records", "after", "text/plain");
  ASSERT_TRUE(later);
  EXPECT_EQ(later->status, 503);
  EXPECT_FALSE(log_->health().ok());
  EXPECT_EQ(fatal_calls_.load(), 1);
}

}  // namespace
}  // namespace dsc::lognode
