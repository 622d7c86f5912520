// Tests of the queue's HTTP API in-process: a NodeServer on a free port
// with QueueHttp registered, driven by QueueClient and raw requests.
#include "nodes/queue/queue_http.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <future>

#include "nodes/common/test_util.h"
#include "nodes/queue/queue_client.h"

namespace dsc::queue {
namespace {

using namespace std::chrono_literals;
namespace testing = node::testing;

constexpr int64_t kRetentionMs = 60'000;

class QueueHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("dsc_queue_http_");
    // The server first: the service's timers run on its executor.
    node::NodeServerOptions server_options;
    server_options.node_id = "queue1";
    server_options.max_body_bytes = 4096;
    server_ = std::make_unique<node::NodeServer>(server_options);
    QueueServiceOptions options;
    options.data_dir = dir_ + "/data";
    options.clock = &clock_;
    options.seed = 7;
    options.executor = server_->executor();
    options.expiry_timer = false;
    options.queue.retention_ms = kRetentionMs;
    Result<std::unique_ptr<QueueService>> opened = QueueService::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    service_ = std::move(opened).value();
    http_ = std::make_unique<QueueHttp>("queue1", service_.get());
    http_->Register(*server_);
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<QueueClient>(server_->url());
  }
  void TearDown() override {
    if (service_) service_->Shutdown();
    if (server_) server_->Stop();
    service_.reset();  // before the server: its timers live on the server's executor
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  QueueClient::Reply Post(const std::string& path, const std::string& body) {
    httplib::Client raw(server_->url());
    httplib::Result r = raw.Post(path, body, "application/json");
    QueueClient::Reply reply;
    if (!r) return reply;
    reply.status = r->status;
    reply.body = nlohmann::json::parse(r->body, nullptr, false);
    return reply;
  }

  static void ExpectError(const QueueClient::Reply& r, int status, const std::string& code,
                          const std::string& message_part = "") {
    EXPECT_EQ(r.status, status) << r.body.dump();
    ASSERT_TRUE(r.body.is_object()) << r.body.dump();
    EXPECT_EQ(r.body["error"], code);
    EXPECT_NE(r.body["message"].get<std::string>().find(message_part), std::string::npos)
        << r.body.dump();
  }

  std::string dir_;
  FakeClock clock_;
  std::unique_ptr<QueueService> service_;
  std::unique_ptr<node::NodeServer> server_;
  std::unique_ptr<QueueHttp> http_;
  std::unique_ptr<QueueClient> client_;
};

TEST_F(QueueHttpTest, Lifecycle_EnqueueLeaseFailLeaseAck) {
  QueueClient::Reply created = client_->Enqueue(R"({"image": "cat.png"})", std::nullopt, 2);
  ASSERT_EQ(created.status, 201);
  const std::string id = created.body["id"];
  EXPECT_EQ(created.body["status"], "pending");

  QueueClient::Reply leased = client_->Lease("w1", 1000, 0);
  ASSERT_EQ(leased.status, 200);
  EXPECT_EQ(leased.body["id"], id);
  EXPECT_EQ(leased.body["payload"], nlohmann::json({{"image", "cat.png"}}));
  EXPECT_EQ(leased.body["attempt"], 1);
  EXPECT_EQ(leased.body["lease_expires_ms"], clock_.NowMs() + 1000);
  EXPECT_EQ(client_->Lease("w1", 1000, 0).status, 204);

  QueueClient::Reply failed = client_->Fail(id, "w1", "disk full");
  ASSERT_EQ(failed.status, 200);
  EXPECT_EQ(failed.body["status"], "pending");
  clock_.Set(failed.body["retry_at_ms"].get<int64_t>());
  ASSERT_EQ(client_->Lease("w2", 1000, 0).status, 200);
  QueueClient::Reply acked = client_->Ack(id, "w2");
  ASSERT_EQ(acked.status, 200);
  EXPECT_EQ(acked.body["status"], "completed");

  QueueClient::Reply task = client_->GetTask(id);
  ASSERT_EQ(task.status, 200);
  EXPECT_EQ(task.body["status"], "completed");
  EXPECT_EQ(task.body["attempt"], 2);
  EXPECT_EQ(task.body["last_error"], "disk full");

  QueueClient::Reply stats = client_->Get("/stats");
  ASSERT_EQ(stats.status, 200);
  EXPECT_EQ(stats.body["completed"], 1);
  EXPECT_EQ(stats.body["counters"]["retried"], 1);
  EXPECT_EQ(stats.body["wal"]["last_lsn"], 5);

  QueueClient::Reply status = client_->Get("/status");
  ASSERT_EQ(status.status, 200);
  EXPECT_EQ(status.body["system"], "queue");
  EXPECT_EQ(status.body["id"], "queue1");
  EXPECT_EQ(status.body["tasks"]["completed"], 1);
  EXPECT_EQ(status.body["wal"]["fsync"], "always");
  EXPECT_EQ(status.body["wal"]["durable_lsn"], 5);
}

TEST_F(QueueHttpTest, IdempotentRepeat_Answers200WithTheSameId) {
  QueueClient::Reply first = client_->Enqueue("1", std::string("k1"));
  ASSERT_EQ(first.status, 201);
  QueueClient::Reply again = client_->Enqueue("1", std::string("k1"));
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(again.body["id"], first.body["id"]);
  ExpectError(client_->Enqueue("2", std::string("k1")), 409, "conflict", "idempotency_key");
}

TEST_F(QueueHttpTest, BadInput_Gets4xxJsonNamingTheProblem) {
  ExpectError(Post("/tasks", R"({"payload":)"), 400, "bad_request", "not valid JSON");
  ExpectError(Post("/tasks", R"([1,2])"), 400, "bad_request", "object");
  ExpectError(Post("/tasks", R"({})"), 400, "bad_request", "payload");
  ExpectError(Post("/tasks", R"({"payload":1,"max_retries":"3"})"), 400, "bad_request",
              "max_retries");
  ExpectError(Post("/tasks", R"({"payload":1,"max_retries":101})"), 400, "bad_request",
              "max_retries");
  ExpectError(Post("/tasks", R"({"payload":1,"idempotency_key":7})"), 400, "bad_request",
              "idempotency_key");
  ExpectError(Post("/tasks", R"({"payload":1,"priority":2})"), 400, "bad_request",
              "unknown field \"priority\"");
  ExpectError(Post("/tasks", "{\"payload\":" + std::string(100, '[') + std::string(100, ']') + "}"),
              400, "bad_request", "nested");
  ExpectError(Post("/tasks", R"({"payload":")" + std::string(5000, 'x') + R"("})"), 413,
              "too_large");
  ExpectError(Post("/tasks/lease", R"({"worker":"w1"})"), 400, "bad_request", "lease_ms");
  ExpectError(Post("/tasks/lease", R"({"worker":"w1","lease_ms":5})"), 400, "bad_request",
              "lease_ms");
  ExpectError(Post("/tasks/lease", R"({"worker":3,"lease_ms":1000})"), 400, "bad_request",
              "worker");
  ExpectError(Post("/tasks/lease", R"({"worker":"w","lease_ms":1000,"wait_ms":99999})"), 400,
              "bad_request", "wait_ms");
  ExpectError(Post("/tasks/t-none/ack", R"({"worker":"w1"})"), 404, "not_found", "t-none");
  ExpectError(Post("/tasks/t-none/fail", R"({"worker":"w1","error":"x"})"), 404, "not_found");
  ExpectError(Post("/tasks/t-none/ack", R"({})"), 400, "bad_request", "worker");
  ExpectError(client_->GetTask("t-none"), 404, "not_found");

  const std::string id = client_->Enqueue("1").body["id"];
  ExpectError(client_->Ack(id, "w1"), 409, "conflict");  // not leased
  EXPECT_EQ(client_->Get("/health").status, 200);
  EXPECT_EQ(client_->Get("/stats").body["wal"]["last_lsn"], 1);  // nothing bad was logged
}

TEST_F(QueueHttpTest, Metrics_ShowQueueCountersAndDepths) {
  ASSERT_EQ(client_->Enqueue("1").status, 201);
  httplib::Client raw(server_->url());
  httplib::Result r = raw.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("dsc_queue_enqueued_total 1"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("dsc_queue_tasks{status=\"pending\"} 1"), std::string::npos);
  EXPECT_NE(r->body.find("dsc_wal_durable_lsn 1"), std::string::npos);
}

TEST_F(QueueHttpTest, LongPoll_ParkedLeaseGetsTheNextEnqueue) {
  auto waiting = std::async(std::launch::async, [&] {
    QueueClient worker(server_->url(), 30s);
    return worker.Lease("w1", 1000, 20'000);
  });
  ASSERT_TRUE(testing::PollUntil([&] { return service_->Stats().parked_leases == 1; }));
  QueueClient::Reply created = client_->Enqueue("1");
  ASSERT_EQ(created.status, 201);
  QueueClient::Reply leased = waiting.get();
  ASSERT_EQ(leased.status, 200) << leased.body.dump();
  EXPECT_EQ(leased.body["id"], created.body["id"]);

  httplib::Client raw(server_->url());
  httplib::Result metrics = raw.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("dsc_queue_parked_leases 0"), std::string::npos);
  EXPECT_NE(metrics->body.find("dsc_queue_pending_replies 0"), std::string::npos);
}

TEST_F(QueueHttpTest, LongPoll_ShutdownAnswers204AtOnce) {
  auto waiting = std::async(std::launch::async, [&] {
    QueueClient worker(server_->url(), 30s);
    return worker.Lease("w1", 1000, 30'000);
  });
  ASSERT_TRUE(testing::PollUntil([&] { return service_->Stats().parked_leases == 1; }));
  service_->Shutdown();
  EXPECT_EQ(waiting.get().status, 204);
}

TEST_F(QueueHttpTest, ClientHangsUpBeforeTheReply_TheTaskIsStillEnqueued) {
  const std::string body = R"({"payload":{"n":1}})";
  {
    std::unique_ptr<testing::RawConnection> connection =
        testing::RawConnection::Connect(server_->port());
    ASSERT_NE(connection, nullptr);
    ASSERT_TRUE(
        connection->Send("POST /tasks HTTP/1.1\r\nHost: test\r\n"
                         "Content-Type: application/json\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n" + body));
  }  // closed at once, before any reply
  ASSERT_TRUE(testing::PollUntil([&] { return service_->Stats().counters.enqueued == 1; }));
  ASSERT_TRUE(testing::PollUntil([&] { return service_->Stats().pending_replies == 0; }));
  QueueClient::Reply stats = client_->Get("/stats");
  EXPECT_EQ(stats.body["pending"], 1);
  QueueClient::Reply leased = client_->Lease("w1", 1000, 0);
  ASSERT_EQ(leased.status, 200);
  EXPECT_EQ(leased.body["payload"], nlohmann::json({{"n", 1}}));
  EXPECT_EQ(client_->Get("/health").status, 200);
}

TEST_F(QueueHttpTest, GetTask_AfterItsRetentionIs410Gone) {
  QueueClient::Reply created = client_->Enqueue("1");
  ASSERT_EQ(created.status, 201);
  const std::string id = created.body["id"];
  ASSERT_EQ(client_->Lease("w1", 1000, 0).status, 200);
  ASSERT_EQ(client_->Ack(id, "w1").status, 200);
  clock_.Advance(kRetentionMs);
  ASSERT_TRUE(service_->ExpireDue().ok());  // the expiry timer's purge pass
  ExpectError(client_->GetTask(id), 410, "gone", id);
  ExpectError(client_->GetTask("t-none"), 404, "not_found");
  // A well-formed id, made now: it cannot have been purged yet.
  ExpectError(client_->GetTask(MakeTaskId(clock_.NowMs(), 1)), 404, "not_found");
}

}  // namespace
}  // namespace dsc::queue
