// Unit tests of QueueService: real files in a temp directory, a FakeClock
// and no expiry thread, so every lease deadline is crossed on purpose.
#include "nodes/queue/queue_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "nodes/common/test_util.h"
#include "wal/mem_file_system.h"

namespace dsc::queue {
namespace {

using namespace std::chrono_literals;
namespace testing = node::testing;

constexpr int64_t kLeaseMs = 5'000;

EnqueueRequest Payload(std::string json, std::optional<std::string> key = std::nullopt) {
  EnqueueRequest request;
  request.payload = std::move(json);
  request.idempotency_key = std::move(key);
  return request;
}

class QueueServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("dsc_queue_service_");
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override {
    service_.reset();
    std::filesystem::remove_all(dir_);
  }

  QueueServiceOptions Options() {
    QueueServiceOptions options;
    options.data_dir = dir_ + "/data";
    options.clock = &clock_;
    options.seed = 42;
    options.expiry_thread = false;
    return options;
  }

  // Options whose Close() leaves what a kill -9 leaves: RocksDB keeps only
  // what it already flushed (here nothing, as the flusher waits an hour
  // and the memtable is dropped), everything else must come from the log.
  QueueServiceOptions CrashOptions() {
    QueueServiceOptions options = Options();
    options.flush_engine_on_close = false;
    options.flusher.interval = std::chrono::hours(1);
    return options;
  }

  void Open(QueueServiceOptions options) {
    service_.reset();
    last_options_ = options;
    Result<std::unique_ptr<QueueService>> opened = QueueService::Open(std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    service_ = std::move(opened).value();
  }
  void Open() { Open(Options()); }
  // Closes the service (cleanly or as a crash, as it was opened) and opens
  // it again with the same options.
  void Reopen() { Open(last_options_); }

  std::string Enqueue(const std::string& payload) {
    Result<EnqueueResult> result = service_->Enqueue(Payload(payload));
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? result->id : "";
  }

  std::optional<LeasedTask> LeaseNow(const std::string& worker = "w1") {
    Result<std::optional<LeasedTask>> leased = service_->Lease(worker, kLeaseMs, 0ms);
    EXPECT_TRUE(leased.ok()) << leased.status().ToString();
    return leased.ok() ? *leased : std::nullopt;
  }

  Task Get(const std::string& id) {
    Result<Task> task = service_->GetTask(id);
    EXPECT_TRUE(task.ok()) << task.status().ToString();
    return task.ok() ? *task : Task{};
  }

  std::string dir_;
  FakeClock clock_;
  wal::MemFileSystem mem_fs_;  // for tests that fail or drop log writes
  QueueServiceOptions last_options_;
  std::unique_ptr<QueueService> service_;
};

TEST_F(QueueServiceTest, Enqueue_ThenReopen_KeepsTheSameTasks) {
  Open();
  const std::string a = Enqueue(R"({"n": 1})");
  const std::string b = Enqueue(R"([1, 2])");
  EXPECT_EQ(a.size(), 18u);  // "t-" + 16 hex digits
  EXPECT_NE(a, b);
  const Task before = Get(a);
  EXPECT_EQ(before.payload, R"({"n":1})");

  Reopen();  // clean restart: everything comes from RocksDB
  EXPECT_EQ(service_->recovery().tasks_restored, 2u);
  EXPECT_EQ(service_->recovery().records_replayed, 0u);
  EXPECT_EQ(Get(a), before);
  EXPECT_EQ(Get(b).payload, "[1,2]");
}

TEST_F(QueueServiceTest, Crash_ReplaysTheLogTailIntoMemoryAndRocksDb) {
  Open(CrashOptions());
  const std::string a = Enqueue("1");
  const std::string b = Enqueue("2");
  ASSERT_TRUE(LeaseNow().has_value());  // a
  ASSERT_TRUE(service_->Ack(a, "w1").ok());
  const Task a_before = Get(a);

  Reopen();
  EXPECT_EQ(service_->recovery().tasks_restored, 0u);
  EXPECT_EQ(service_->recovery().records_replayed, 4u);
  EXPECT_EQ(Get(a), a_before);
  EXPECT_EQ(Get(a).status, TaskStatus::kCompleted);
  EXPECT_EQ(Get(b).status, TaskStatus::kPending);

  // The replay wrote RocksDB too: a clean reopen now restores, not replays.
  Open();
  Open();
  EXPECT_EQ(service_->recovery().tasks_restored, 2u);
  EXPECT_EQ(service_->recovery().records_replayed, 0u);
  EXPECT_EQ(Get(a), a_before);
}

TEST_F(QueueServiceTest, IdempotencyKey_RepeatReturnsTheSameTask) {
  Open();
  Result<EnqueueResult> first = service_->Enqueue(Payload("1", "order-7"));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->created);
  Result<EnqueueResult> again = service_->Enqueue(Payload("1", "order-7"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->id, first->id);
  EXPECT_TRUE(service_->Enqueue(Payload("2", "order-7")).status().IsConflict());
  Open();
  Result<EnqueueResult> after_restart = service_->Enqueue(Payload("1", "order-7"));
  ASSERT_TRUE(after_restart.ok());
  EXPECT_EQ(after_restart->id, first->id);
  EXPECT_EQ(service_->Stats().tasks.pending, 1u);
}

TEST_F(QueueServiceTest, LeaseAck_CompletesTheTask) {
  Open();
  const std::string id = Enqueue(R"({"x":1})");
  std::optional<LeasedTask> leased = LeaseNow();
  ASSERT_TRUE(leased.has_value());
  EXPECT_EQ(leased->id, id);
  EXPECT_EQ(leased->payload, R"({"x":1})");
  EXPECT_EQ(leased->attempt, 1);
  EXPECT_EQ(leased->lease_expires_ms, clock_.NowMs() + kLeaseMs);
  EXPECT_FALSE(LeaseNow().has_value());  // the only task is taken

  EXPECT_TRUE(service_->Ack(id, "w2").IsConflict());  // not the holder
  EXPECT_TRUE(service_->Ack("t-nope", "w1").IsNotFound());
  ASSERT_TRUE(service_->Ack(id, "w1").ok());
  EXPECT_TRUE(service_->Ack(id, "w1").IsConflict());  // once only
  EXPECT_EQ(Get(id).status, TaskStatus::kCompleted);
  EXPECT_EQ(service_->Stats().counters.acked, 1u);
}

TEST_F(QueueServiceTest, Fail_RetriesAfterBackoffThenDeadLetters) {
  Open();
  EnqueueRequest request = Payload("1");
  request.max_retries = 1;
  Result<EnqueueResult> enqueued = service_->Enqueue(request);
  ASSERT_TRUE(enqueued.ok());
  const std::string id = enqueued->id;

  ASSERT_TRUE(LeaseNow().has_value());
  Result<FailResult> first = service_->Fail(id, "w1", "boom");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->status, TaskStatus::kPending);
  ASSERT_TRUE(first->retry_at_ms.has_value());
  // Backoff after attempt 1: in [base/2, base] (equal jitter), base 1 s.
  EXPECT_GE(*first->retry_at_ms, clock_.NowMs() + 500);
  EXPECT_LE(*first->retry_at_ms, clock_.NowMs() + 1000);

  EXPECT_FALSE(LeaseNow().has_value());  // still backing off
  clock_.Set(*first->retry_at_ms);
  std::optional<LeasedTask> again = LeaseNow();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->attempt, 2);

  Result<FailResult> last = service_->Fail(id, "w1", "boom again");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->status, TaskStatus::kFailed);
  EXPECT_FALSE(last->retry_at_ms.has_value());
  const Task task = Get(id);
  EXPECT_EQ(task.status, TaskStatus::kFailed);
  EXPECT_EQ(task.last_error, "boom again");
  EXPECT_EQ(service_->Stats().counters.dead_lettered, 1u);
}

TEST_F(QueueServiceTest, ExpiredLease_ReturnsTheTaskAndLateAckIsRefused) {
  Open();
  const std::string id = Enqueue("1");
  ASSERT_TRUE(LeaseNow("w1").has_value());
  clock_.Advance(kLeaseMs - 1);
  EXPECT_EQ(*service_->ExpireDue(), 0u);
  clock_.Advance(1);
  EXPECT_EQ(*service_->ExpireDue(), 1u);
  EXPECT_EQ(Get(id).status, TaskStatus::kPending);
  EXPECT_TRUE(service_->Ack(id, "w1").IsConflict());  // too late

  std::optional<LeasedTask> again = LeaseNow("w2");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->attempt, 2);
  EXPECT_TRUE(service_->Ack(id, "w2").ok());
}

TEST_F(QueueServiceTest, LeaseExpiresDuringTheLeaseCall) {
  // DecideLease's contract: expiries first, so a lease call alone brings
  // a dead worker's task back.
  Open();
  const std::string id = Enqueue("1");
  ASSERT_TRUE(LeaseNow("w1").has_value());
  clock_.Advance(kLeaseMs);
  std::optional<LeasedTask> again = LeaseNow("w2");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->id, id);
  EXPECT_EQ(service_->Stats().counters.expired, 1u);
}

TEST_F(QueueServiceTest, RestartMidLease_LeaseExpiresLaterAndTaskReturns) {
  Open(CrashOptions());
  const std::string id = Enqueue("1");
  std::optional<LeasedTask> leased = LeaseNow("w1");
  ASSERT_TRUE(leased.has_value());

  Reopen();
  Task task = Get(id);
  EXPECT_EQ(task.status, TaskStatus::kProcessing);
  EXPECT_EQ(task.lease_expires_ms, leased->lease_expires_ms);
  EXPECT_FALSE(LeaseNow("w2").has_value());  // the lease still runs

  clock_.Set(leased->lease_expires_ms);
  std::optional<LeasedTask> again = LeaseNow("w2");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->id, id);
  EXPECT_EQ(again->attempt, 2);
}

TEST_F(QueueServiceTest, LongPoll_WakesOnEnqueue) {
  Open();
  std::atomic<bool> returned{false};
  auto waiter = std::async(std::launch::async, [&] {
    Result<std::optional<LeasedTask>> r = service_->Lease("w1", kLeaseMs, 20s);
    returned = true;
    return r;
  });
  // Not a timing assertion: only that the waiter is still there to wake.
  const std::string id = Enqueue("1");
  Result<std::optional<LeasedTask>> leased = waiter.get();
  ASSERT_TRUE(leased.ok());
  ASSERT_TRUE(leased->has_value());
  EXPECT_EQ((*leased)->id, id);
}

TEST_F(QueueServiceTest, LongPoll_TimesOutEmpty) {
  Open();
  Result<std::optional<LeasedTask>> leased = service_->Lease("w1", kLeaseMs, 30ms);
  ASSERT_TRUE(leased.ok());
  EXPECT_FALSE(leased->has_value());
}

TEST_F(QueueServiceTest, LongPoll_ShutdownWakesWaiters) {
  Open();
  auto waiter =
      std::async(std::launch::async, [&] { return service_->Lease("w1", kLeaseMs, 30s); });
  // Wait until the waiter is inside Lease before shutting down, else it
  // would be refused outright (also fine, but not what this tests).
  ASSERT_TRUE(
      testing::PollUntil([&] { return waiter.wait_for(0ms) != std::future_status::ready; }));
  service_->Shutdown();
  Result<std::optional<LeasedTask>> leased = waiter.get();
  EXPECT_TRUE(leased.ok() ? !leased->has_value() : leased.status().IsUnavailable());
  EXPECT_TRUE(service_->Enqueue(Payload("1")).status().IsUnavailable());
}

TEST_F(QueueServiceTest, BadRequests_AreRefusedWithoutLogging) {
  Open();
  const uint64_t last = service_->Stats().last_lsn;
  EXPECT_TRUE(service_->Enqueue(Payload("{not json")).status().IsInvalidArgument());
  EXPECT_TRUE(service_->Lease("", kLeaseMs, 0ms).status().IsInvalidArgument());
  EXPECT_TRUE(service_->Lease("w1", 1, 0ms).status().IsInvalidArgument());
  EXPECT_TRUE(service_->Fail("t-x", "w1", "e").status().IsNotFound());
  EXPECT_TRUE(service_->GetTask("t-x").status().IsNotFound());
  EXPECT_EQ(service_->Stats().last_lsn, last);
}

TEST_F(QueueServiceTest, ClockSteppingBack_NeverMovesTimeBackwardsInTheLog) {
  Open();
  const std::string a = Enqueue("1");
  clock_.Advance(-60'000);  // NTP steps the wall clock back a minute
  const std::string b = Enqueue("2");
  EXPECT_GE(Get(b).created_ms, Get(a).created_ms);
  // ...and after a restart, too (the clamp is recovered from the state).
  Open();
  const std::string c = Enqueue("3");
  EXPECT_GE(Get(c).created_ms, Get(a).created_ms);
}

TEST_F(QueueServiceTest, Compaction_DropsLogPrefixAndReplayStaysCorrect) {
  QueueServiceOptions options = CrashOptions();
  options.log_segment_bytes = 4096;  // many small segments
  Open(options);
  std::vector<std::string> ids;
  for (int i = 0; i < 200; ++i) ids.push_back(Enqueue(R"({"i":)" + std::to_string(i) + "}"));
  for (int i = 0; i < 50; ++i) {
    std::optional<LeasedTask> leased = LeaseNow();
    ASSERT_TRUE(leased.has_value());
    ASSERT_TRUE(service_->Ack(leased->id, "w1").ok());
  }
  ASSERT_TRUE(service_->FlushForTesting().ok());
  const QueueServiceStats compacted = service_->Stats();
  EXPECT_GT(compacted.first_lsn, 1u);  // segments were dropped
  EXPECT_EQ(compacted.persisted_lsn, compacted.last_lsn);

  // More records after the compaction, then a crash: replay starts at the
  // engine's LSN, inside what the log still holds.
  for (int i = 0; i < 20; ++i) {
    std::optional<LeasedTask> leased = LeaseNow();
    ASSERT_TRUE(leased.has_value());
    ASSERT_TRUE(service_->Ack(leased->id, "w1").ok());
  }
  std::map<std::string, Task> before;
  for (const std::string& id : ids) before[id] = Get(id);
  Reopen();
  EXPECT_EQ(service_->recovery().records_replayed, 40u);
  for (const std::string& id : ids) EXPECT_EQ(Get(id), before[id]) << id;
  EXPECT_EQ(service_->Stats().tasks.completed, 70u);
}

TEST_F(QueueServiceTest, ConcurrentClients_AllTasksCompleteExactlyOnce) {
  Open(CrashOptions());
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 50;
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) Enqueue(std::to_string(p * 1000 + i));
    });
  }
  std::atomic<int> acked{0};
  for (int w = 0; w < 3; ++w) {
    threads.emplace_back([&, w] {
      const std::string worker = "w" + std::to_string(w);
      while (acked < kProducers * kPerProducer) {
        Result<std::optional<LeasedTask>> leased = service_->Lease(worker, kLeaseMs, 50ms);
        ASSERT_TRUE(leased.ok());
        if (!leased->has_value()) continue;
        ASSERT_TRUE(service_->Ack((*leased)->id, worker).ok());
        ++acked;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const QueueServiceStats stats = service_->Stats();
  EXPECT_EQ(stats.tasks.completed, static_cast<size_t>(kProducers * kPerProducer));
  EXPECT_EQ(stats.counters.leased, stats.counters.acked);

  Reopen();
  EXPECT_EQ(service_->Stats().tasks.completed, static_cast<size_t>(kProducers * kPerProducer));
}

TEST_F(QueueServiceTest, Open_FailsWhenAnotherServiceHoldsTheDirectory) {
  Open();
  QueueServiceOptions options = Options();
  Result<std::unique_ptr<QueueService>> second = QueueService::Open(options);
  EXPECT_FALSE(second.ok());
}

TEST_F(QueueServiceTest, PowerLoss_KeepsEveryAcknowledgedChange) {
  // The log on a MemFileSystem that forgets whatever was not fdatasync'ed:
  // this proves where the fsyncs are, which a kill -9 cannot.
  QueueServiceOptions options = CrashOptions();
  options.log_file_system = &mem_fs_;
  Open(options);
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) ids.push_back(Enqueue(std::to_string(i)));
  std::optional<LeasedTask> leased = LeaseNow();
  ASSERT_TRUE(leased.has_value());
  ASSERT_TRUE(service_->Ack(leased->id, "w1").ok());
  ASSERT_TRUE(service_->FlushForTesting().ok());  // RocksDB holds some state
  std::optional<LeasedTask> second = LeaseNow();
  ASSERT_TRUE(second.has_value());
  clock_.Advance(kLeaseMs);
  // The expiry is written but nobody waits for it: not yet durable.
  ASSERT_EQ(*service_->ExpireDue(), 1u);

  mem_fs_.DropUnsyncedData();  // the power goes out
  service_.reset();            // (its last syncs fail: the process is "dead")
  Open(options);
  for (const std::string& id : ids) EXPECT_TRUE(service_->GetTask(id).ok()) << id;
  EXPECT_EQ(Get(leased->id).status, TaskStatus::kCompleted);
  // The unsynced expiry was lost, so the lease is still running on disk;
  // the restarted node simply decides the expiry again.
  EXPECT_EQ(Get(second->id).status, TaskStatus::kProcessing);
  EXPECT_EQ(*service_->ExpireDue(), 1u);
  EXPECT_EQ(Get(second->id).status, TaskStatus::kPending);
}

TEST_F(QueueServiceTest, SyncFailure_IsFatal_AnswersUnavailableAndCallsOnFatal) {
  std::atomic<int> fatal_calls{0};
  QueueServiceOptions options = Options();
  options.log_file_system = &mem_fs_;
  options.on_fatal = [&](const Status&) { ++fatal_calls; };
  Open(options);
  const std::string id = Enqueue("1");
  mem_fs_.FailSyncs(true);
  Result<EnqueueResult> failed = service_->Enqueue(Payload("2"));
  EXPECT_TRUE(failed.status().IsUnavailable()) << failed.status().ToString();
  EXPECT_EQ(fatal_calls, 1);
  EXPECT_FALSE(service_->health().ok());
  // Memory may be ahead of the disk now: nothing is served any more.
  EXPECT_TRUE(service_->GetTask(id).status().IsUnavailable());
  EXPECT_TRUE(service_->Lease("w1", kLeaseMs, 0ms).status().IsUnavailable());
  EXPECT_FALSE(service_->Close().ok());
  EXPECT_EQ(fatal_calls, 1);
  service_.reset();  // before fatal_calls goes away
}

}  // namespace
}  // namespace dsc::queue
