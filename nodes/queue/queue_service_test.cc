// Unit tests of QueueService: real files in a temp directory (or a
// MemFileSystem for the log where a test decides what reaches the disk), a
// FakeClock and no expiry timer, so every lease deadline is crossed on
// purpose. Long-poll deadlines are real time, on an io_context the fixture
// runs on one thread.
#include "nodes/queue/queue_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "nodes/common/test_util.h"
#include "wal/gated_file_system.h"
#include "wal/mem_file_system.h"

namespace dsc::queue {
namespace {

using namespace std::chrono_literals;
namespace testing = node::testing;

constexpr int64_t kLeaseMs = 5'000;
constexpr wal::GatedFileSystem::Gate kSyncGate = wal::GatedFileSystem::Gate::kSync;

EnqueueRequest Payload(std::string json, std::optional<std::string> key = std::nullopt) {
  EnqueueRequest request;
  request.payload = std::move(json);
  request.idempotency_key = std::move(key);
  return request;
}

// One reply of the service: callback() is the Done to pass, Get() waits
// for it (with a deadline: a reply that never comes is a failure, not a
// hang).
template <typename T>
class Reply {
 public:
  Done<T> callback() {
    return [promise = promise_](T value) { promise->set_value(std::move(value)); };
  }
  bool ready() const { return future_.wait_for(0s) == std::future_status::ready; }
  T Get() {
    if (future_.wait_for(20s) != std::future_status::ready) {
      ADD_FAILURE() << "no reply within 20 s";
      return T(Status::Unavailable("test: no reply"));
    }
    return future_.get();
  }

 private:
  std::shared_ptr<std::promise<T>> promise_ = std::make_shared<std::promise<T>>();
  std::future<T> future_ = promise_->get_future();
};

using LeaseReply = Reply<Result<std::optional<LeasedTask>>>;

class QueueServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("dsc_queue_service_");
    ASSERT_FALSE(dir_.empty());
    io_thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    gated_fs_.Open(kSyncGate);  // nothing may stay blocked in a sync
    service_.reset();
    work_.reset();
    if (io_thread_.joinable()) io_thread_.join();
    std::filesystem::remove_all(dir_);
  }

  QueueServiceOptions Options() {
    QueueServiceOptions options;
    options.data_dir = dir_ + "/data";
    options.clock = &clock_;
    options.seed = 42;
    options.executor = io_.get_executor();
    options.expiry_timer = false;
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

  // CrashOptions with the log on gated_fs_: the test decides when a sync
  // completes, and a power loss forgets what was not synced.
  QueueServiceOptions GatedOptions() {
    QueueServiceOptions options = CrashOptions();
    options.log_file_system = &gated_fs_;
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

  // The service's calls, each waiting for its reply.
  Result<EnqueueResult> AwaitEnqueue(const EnqueueRequest& request) {
    Reply<Result<EnqueueResult>> reply;
    service_->Enqueue(request, reply.callback());
    return reply.Get();
  }
  Result<std::optional<LeasedTask>> AwaitLease(const std::string& worker, int64_t lease_ms,
                                               std::chrono::milliseconds wait) {
    LeaseReply reply;
    service_->Lease(worker, lease_ms, wait, reply.callback());
    return reply.Get();
  }
  Status AwaitAck(const std::string& id, const std::string& worker) {
    Reply<Status> reply;
    service_->Ack(id, worker, reply.callback());
    return reply.Get();
  }
  Result<FailResult> AwaitFail(const std::string& id, const std::string& worker,
                               const std::string& error) {
    Reply<Result<FailResult>> reply;
    service_->Fail(id, worker, error, reply.callback());
    return reply.Get();
  }
  Result<Task> AwaitGetTask(const std::string& id) {
    Reply<Result<Task>> reply;
    service_->GetTask(id, reply.callback());
    return reply.Get();
  }

  std::string Enqueue(const std::string& payload) {
    Result<EnqueueResult> result = AwaitEnqueue(Payload(payload));
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? result->id : "";
  }

  std::optional<LeasedTask> LeaseNow(const std::string& worker = "w1") {
    Result<std::optional<LeasedTask>> leased = AwaitLease(worker, kLeaseMs, 0ms);
    EXPECT_TRUE(leased.ok()) << leased.status().ToString();
    return leased.ok() ? *leased : std::nullopt;
  }

  Task Get(const std::string& id) {
    Result<Task> task = AwaitGetTask(id);
    EXPECT_TRUE(task.ok()) << task.status().ToString();
    return task.ok() ? *task : Task{};
  }

  std::string dir_;
  FakeClock clock_;
  wal::MemFileSystem mem_fs_;  // for tests that fail or drop log writes
  // For tests that decide when a sync completes (a MemFileSystem inside).
  wal::GatedFileSystem gated_fs_;
  // Runs the service's timers; outlives every service (declared before).
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::thread io_thread_;
  QueueServiceOptions last_options_;
  std::unique_ptr<QueueService> service_;
};

TEST_F(QueueServiceTest, Enqueue_ThenReopen_KeepsTheSameTasks) {
  Open();
  const std::string a = Enqueue(R"({"n": 1})");
  const std::string b = Enqueue(R"([1, 2])");
  EXPECT_EQ(a.size(), 30u);  // "t-", 12 hex digits of creation time, 16 random
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
  ASSERT_TRUE(AwaitAck(a, "w1").ok());
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
  Result<EnqueueResult> first = AwaitEnqueue(Payload("1", "order-7"));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->created);
  Result<EnqueueResult> again = AwaitEnqueue(Payload("1", "order-7"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->id, first->id);
  EXPECT_TRUE(AwaitEnqueue(Payload("2", "order-7")).status().IsConflict());
  Open();
  Result<EnqueueResult> after_restart = AwaitEnqueue(Payload("1", "order-7"));
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

  EXPECT_TRUE(AwaitAck(id, "w2").IsConflict());  // not the holder
  EXPECT_TRUE(AwaitAck("t-nope", "w1").IsNotFound());
  ASSERT_TRUE(AwaitAck(id, "w1").ok());
  EXPECT_TRUE(AwaitAck(id, "w1").IsConflict());  // once only
  EXPECT_EQ(Get(id).status, TaskStatus::kCompleted);
  EXPECT_EQ(service_->Stats().counters.acked, 1u);
}

TEST_F(QueueServiceTest, Fail_RetriesAfterBackoffThenDeadLetters) {
  Open();
  EnqueueRequest request = Payload("1");
  request.max_retries = 1;
  Result<EnqueueResult> enqueued = AwaitEnqueue(request);
  ASSERT_TRUE(enqueued.ok());
  const std::string id = enqueued->id;

  ASSERT_TRUE(LeaseNow().has_value());
  Result<FailResult> first = AwaitFail(id, "w1", "boom");
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

  Result<FailResult> last = AwaitFail(id, "w1", "boom again");
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
  EXPECT_TRUE(AwaitAck(id, "w1").IsConflict());  // too late

  std::optional<LeasedTask> again = LeaseNow("w2");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->attempt, 2);
  EXPECT_TRUE(AwaitAck(id, "w2").ok());
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

TEST_F(QueueServiceTest, LongPoll_ParkedLeaseIsCompletedByALaterEnqueue) {
  Open();
  LeaseReply reply;
  service_->Lease("w1", kLeaseMs, 20s, reply.callback());
  EXPECT_FALSE(reply.ready());  // parked: nothing to lease yet
  EXPECT_EQ(service_->Stats().parked_leases, 1u);
  const std::string id = Enqueue("1");
  Result<std::optional<LeasedTask>> leased = reply.Get();
  ASSERT_TRUE(leased.ok()) << leased.status().ToString();
  ASSERT_TRUE(leased->has_value());
  EXPECT_EQ((*leased)->id, id);
  EXPECT_EQ((*leased)->attempt, 1);
  EXPECT_EQ(service_->Stats().parked_leases, 0u);
  EXPECT_EQ(Get(id).worker, "w1");
}

TEST_F(QueueServiceTest, LongPoll_OldestWaiterGetsTheNextTask) {
  Open();
  LeaseReply first;
  LeaseReply second;
  service_->Lease("w1", kLeaseMs, 20s, first.callback());
  service_->Lease("w2", kLeaseMs, 20s, second.callback());
  const std::string a = Enqueue("1");
  ASSERT_TRUE(first.ready());
  EXPECT_FALSE(second.ready());
  EXPECT_EQ((*first.Get())->id, a);
  const std::string b = Enqueue("2");
  EXPECT_EQ((*second.Get())->id, b);
}

TEST_F(QueueServiceTest, LongPoll_ParkedLeaseTimesOutWithNoTask) {
  Open();
  Result<std::optional<LeasedTask>> leased = AwaitLease("w1", kLeaseMs, 30ms);
  ASSERT_TRUE(leased.ok());
  EXPECT_FALSE(leased->has_value());
  EXPECT_EQ(service_->Stats().parked_leases, 0u);
}

TEST_F(QueueServiceTest, LongPoll_ExpiredLeaseGoesToAParkedWaiter) {
  Open();
  const std::string id = Enqueue("1");
  ASSERT_TRUE(LeaseNow("w1").has_value());
  LeaseReply reply;
  service_->Lease("w2", kLeaseMs, 20s, reply.callback());
  EXPECT_FALSE(reply.ready());
  clock_.Advance(kLeaseMs);
  EXPECT_EQ(*service_->ExpireDue(), 1u);  // what the expiry timer does
  Result<std::optional<LeasedTask>> leased = reply.Get();
  ASSERT_TRUE(leased.ok() && leased->has_value());
  EXPECT_EQ((*leased)->id, id);
  EXPECT_EQ((*leased)->attempt, 2);
}

TEST_F(QueueServiceTest, LongPoll_RetryComingDueGoesToAParkedWaiter) {
  Open();
  const std::string id = Enqueue("1");
  ASSERT_TRUE(LeaseNow("w1").has_value());
  Result<FailResult> failed = AwaitFail(id, "w1", "boom");
  ASSERT_TRUE(failed.ok() && failed->retry_at_ms.has_value());
  LeaseReply reply;
  service_->Lease("w2", kLeaseMs, 20s, reply.callback());
  EXPECT_FALSE(reply.ready());  // still backing off
  clock_.Set(*failed->retry_at_ms);
  ASSERT_TRUE(service_->ExpireDue().ok());  // what the expiry timer does
  Result<std::optional<LeasedTask>> leased = reply.Get();
  ASSERT_TRUE(leased.ok() && leased->has_value());
  EXPECT_EQ((*leased)->id, id);
}

TEST_F(QueueServiceTest, Shutdown_AnswersParkedWaitersNoTaskAtOnce) {
  Open();
  LeaseReply first;
  LeaseReply second;
  service_->Lease("w1", kLeaseMs, 30s, first.callback());
  service_->Lease("w2", kLeaseMs, 30s, second.callback());
  service_->Shutdown();
  // Answered inside Shutdown, not at their 30 s deadlines.
  ASSERT_TRUE(first.ready());
  ASSERT_TRUE(second.ready());
  for (LeaseReply* reply : {&first, &second}) {
    Result<std::optional<LeasedTask>> leased = reply->Get();
    ASSERT_TRUE(leased.ok());
    EXPECT_FALSE(leased->has_value());
  }
  EXPECT_EQ(service_->Stats().parked_leases, 0u);
  EXPECT_TRUE(AwaitEnqueue(Payload("1")).status().IsUnavailable());
  EXPECT_TRUE(AwaitLease("w1", kLeaseMs, 30s).status().IsUnavailable());
}

TEST_F(QueueServiceTest, BadRequests_AreRefusedWithoutLogging) {
  Open();
  const uint64_t last = service_->Stats().last_lsn;
  EXPECT_TRUE(AwaitEnqueue(Payload("{not json")).status().IsInvalidArgument());
  EXPECT_TRUE(AwaitLease("", kLeaseMs, 0ms).status().IsInvalidArgument());
  EXPECT_TRUE(AwaitLease("w1", 1, 0ms).status().IsInvalidArgument());
  EXPECT_TRUE(AwaitFail("t-x", "w1", "e").status().IsNotFound());
  EXPECT_TRUE(AwaitGetTask("t-x").status().IsNotFound());
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
    ASSERT_TRUE(AwaitAck(leased->id, "w1").ok());
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
    ASSERT_TRUE(AwaitAck(leased->id, "w1").ok());
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
        Result<std::optional<LeasedTask>> leased = AwaitLease(worker, kLeaseMs, 50ms);
        ASSERT_TRUE(leased.ok());
        if (!leased->has_value()) continue;
        ASSERT_TRUE(AwaitAck((*leased)->id, worker).ok());
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
  options.durable_leases = true;  // here, leases are acknowledged changes too
  Open(options);
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) ids.push_back(Enqueue(std::to_string(i)));
  std::optional<LeasedTask> leased = LeaseNow();
  ASSERT_TRUE(leased.has_value());
  ASSERT_TRUE(AwaitAck(leased->id, "w1").ok());
  ASSERT_TRUE(service_->FlushForTesting().ok());  // RocksDB holds some state
  std::optional<LeasedTask> second = LeaseNow();
  ASSERT_TRUE(second.has_value());
  clock_.Advance(kLeaseMs);
  // The expiry is written but nobody waits for it: not yet durable.
  ASSERT_EQ(*service_->ExpireDue(), 1u);

  mem_fs_.DropUnsyncedData();  // the power goes out
  service_.reset();            // (its last syncs fail: the process is "dead")
  Open(options);
  for (const std::string& id : ids) EXPECT_TRUE(AwaitGetTask(id).ok()) << id;
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
  Result<EnqueueResult> failed = AwaitEnqueue(Payload("2"));
  EXPECT_TRUE(failed.status().IsUnavailable()) << failed.status().ToString();
  EXPECT_EQ(fatal_calls, 1);
  EXPECT_FALSE(service_->health().ok());
  // Memory may be ahead of the disk now: nothing is served any more.
  EXPECT_TRUE(AwaitGetTask(id).status().IsUnavailable());
  EXPECT_TRUE(AwaitLease("w1", kLeaseMs, 0ms).status().IsUnavailable());
  EXPECT_FALSE(service_->Close().ok());
  EXPECT_EQ(fatal_calls, 1);
  service_.reset();  // before fatal_calls goes away
}

// ---------------------------------------------------------------------------
// What waits for durability, and what does not.

TEST_F(QueueServiceTest, Enqueue_RepliesOnlyOnceDurable) {
  Open(GatedOptions());
  gated_fs_.Close(kSyncGate);  // no sync completes until the gate opens
  Reply<Result<EnqueueResult>> reply;
  service_->Enqueue(Payload("1"), reply.callback());
  EXPECT_EQ(service_->Stats().pending_replies, 1u);
  EXPECT_FALSE(reply.ready());
  gated_fs_.Open(kSyncGate);
  Result<EnqueueResult> enqueued = reply.Get();
  ASSERT_TRUE(enqueued.ok()) << enqueued.status().ToString();
  EXPECT_GE(service_->Stats().durable_lsn, 1u);
  EXPECT_EQ(service_->Stats().pending_replies, 0u);
}

TEST_F(QueueServiceTest, Lease_RepliesBeforeItsRecordIsDurable) {
  Open(GatedOptions());
  const std::string id = Enqueue("1");
  gated_fs_.Close(kSyncGate);
  LeaseReply reply;
  service_->Lease("w1", kLeaseMs, 0ms, reply.callback());
  ASSERT_TRUE(reply.ready());  // answered at once, with no sync done
  Result<std::optional<LeasedTask>> leased = reply.Get();
  ASSERT_TRUE(leased.ok() && leased->has_value());
  EXPECT_EQ((*leased)->id, id);
  const QueueServiceStats stats = service_->Stats();
  EXPECT_EQ(stats.last_lsn, 2u);     // the Lease record is written...
  EXPECT_EQ(stats.durable_lsn, 1u);  // ...but not on disk
  EXPECT_EQ(stats.pending_replies, 0u);
}

TEST_F(QueueServiceTest, DurableLeases_LeaseRepliesOnlyOnceDurable) {
  QueueServiceOptions options = GatedOptions();
  options.durable_leases = true;
  Open(options);
  Enqueue("1");
  gated_fs_.Close(kSyncGate);
  LeaseReply reply;
  service_->Lease("w1", kLeaseMs, 0ms, reply.callback());
  EXPECT_EQ(service_->Stats().pending_replies, 1u);
  EXPECT_FALSE(reply.ready());
  gated_fs_.Open(kSyncGate);
  Result<std::optional<LeasedTask>> leased = reply.Get();
  ASSERT_TRUE(leased.ok() && leased->has_value());
  EXPECT_GE(service_->Stats().durable_lsn, 2u);
}

TEST_F(QueueServiceTest, PowerLoss_ForgetsALeaseNotYetDurable_TaskIsDeliveredAgain) {
  Open(GatedOptions());
  const std::string id = Enqueue("1");
  gated_fs_.Close(kSyncGate);
  std::optional<LeasedTask> leased = LeaseNow("w1");  // answered, not durable
  ASSERT_TRUE(leased.has_value());

  gated_fs_.mem().DropUnsyncedData();  // the power goes out
  gated_fs_.Open(kSyncGate);
  service_.reset();  // (its last syncs fail: the process is "dead")
  Reopen();
  // At-least-once: the lease left no trace, so the task goes out again.
  EXPECT_EQ(Get(id).status, TaskStatus::kPending);
  std::optional<LeasedTask> again = LeaseNow("w2");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->id, id);
  EXPECT_EQ(again->attempt, 1);
}

TEST_F(QueueServiceTest, PowerLoss_KeepsALeaseWithDurableLeases) {
  QueueServiceOptions options = GatedOptions();
  options.durable_leases = true;
  Open(options);
  const std::string id = Enqueue("1");
  std::optional<LeasedTask> leased = LeaseNow("w1");  // answered once durable
  ASSERT_TRUE(leased.has_value());

  gated_fs_.mem().DropUnsyncedData();  // the power goes out
  service_.reset();
  Reopen();
  const Task task = Get(id);
  EXPECT_EQ(task.status, TaskStatus::kProcessing);
  EXPECT_EQ(task.worker, "w1");
  EXPECT_FALSE(LeaseNow("w2").has_value());  // not delivered twice
}

TEST_F(QueueServiceTest, SyncFailure_FailsEveryPendingReplyWithUnavailable) {
  std::atomic<int> fatal_calls{0};
  QueueServiceOptions options = GatedOptions();
  options.on_fatal = [&](const Status&) { ++fatal_calls; };
  Open(options);
  const std::string a = Enqueue("1");
  ASSERT_TRUE(LeaseNow("w1").has_value());

  gated_fs_.Close(kSyncGate);
  Reply<Result<EnqueueResult>> enqueue;
  Reply<Status> ack;
  Reply<Result<Task>> get;
  LeaseReply parked;
  service_->Enqueue(Payload("2"), enqueue.callback());
  service_->Ack(a, "w1", ack.callback());
  service_->GetTask(a, get.callback());
  service_->Lease("w2", kLeaseMs, 20s, parked.callback());  // takes task 2 at once
  ASSERT_TRUE(parked.ready());
  LeaseReply waiting;
  service_->Lease("w3", kLeaseMs, 20s, waiting.callback());  // nothing left: parked
  EXPECT_EQ(service_->Stats().pending_replies, 3u);
  EXPECT_EQ(service_->Stats().parked_leases, 1u);

  gated_fs_.FailSyncs();
  gated_fs_.Open(kSyncGate);  // the sync runs, and fails
  EXPECT_TRUE(enqueue.Get().status().IsUnavailable());
  EXPECT_TRUE(ack.Get().IsUnavailable());
  EXPECT_TRUE(get.Get().status().IsUnavailable());
  EXPECT_TRUE(waiting.Get().status().IsUnavailable());
  EXPECT_EQ(fatal_calls, 1);
  EXPECT_FALSE(service_->health().ok());
  EXPECT_TRUE(AwaitEnqueue(Payload("3")).status().IsUnavailable());
  EXPECT_TRUE(AwaitLease("w1", kLeaseMs, 20s).status().IsUnavailable());
  EXPECT_FALSE(service_->Close().ok());
  EXPECT_EQ(fatal_calls, 1);
  service_.reset();  // before fatal_calls goes away
}

TEST_F(QueueServiceTest, CallerGoneBeforeItsDurableReply_TheWriteStillLands) {
  // At the service level, a client that hung up is a callback whose owner
  // is gone: the callback still runs, finds nobody, and the write lands.
  Open(GatedOptions());
  gated_fs_.Close(kSyncGate);
  struct Connection {
    bool answered = false;
  };
  auto connection = std::make_shared<Connection>();
  auto ran = std::make_shared<std::promise<std::string>>();
  std::future<std::string> ran_future = ran->get_future();
  service_->Enqueue(Payload("1"), [owner = std::weak_ptr<Connection>(connection),
                                   ran](Result<EnqueueResult> result) {
    if (std::shared_ptr<Connection> alive = owner.lock()) alive->answered = true;
    ran->set_value(result.ok() ? result->id : result.status().ToString());
  });
  connection.reset();  // the client goes away before the sync
  gated_fs_.Open(kSyncGate);
  ASSERT_EQ(ran_future.wait_for(20s), std::future_status::ready);
  const std::string id = ran_future.get();
  ASSERT_TRUE(id.starts_with("t-")) << id;

  Reopen();  // as after a kill -9: only the log has it
  EXPECT_EQ(Get(id).status, TaskStatus::kPending);
}

// ---------------------------------------------------------------------------
// Retention.

TEST_F(QueueServiceTest, Purge_RemovesFinishedTasksAfterTheirRetention) {
  QueueServiceOptions options = CrashOptions();
  options.queue.retention_ms = 60'000;
  Open(options);
  const std::string done = Enqueue("1");
  const std::string open = Enqueue("2");
  ASSERT_TRUE(LeaseNow("w1").has_value());
  ASSERT_TRUE(AwaitAck(done, "w1").ok());

  clock_.Advance(59'999);
  ASSERT_TRUE(service_->ExpireDue().ok());
  EXPECT_TRUE(AwaitGetTask(done).ok());  // kept until its retention has passed
  clock_.Advance(1);
  ASSERT_TRUE(service_->ExpireDue().ok());  // the purge pass of the expiry timer
  EXPECT_TRUE(AwaitGetTask(done).status().IsNotFound());
  EXPECT_TRUE(service_->MayHaveBeenPurged(done));  // 410, not 404
  EXPECT_FALSE(service_->MayHaveBeenPurged(open));
  EXPECT_FALSE(service_->MayHaveBeenPurged("t-never"));
  EXPECT_EQ(Get(open).status, TaskStatus::kPending);  // unfinished: kept
  EXPECT_EQ(service_->Stats().counters.purged, 1u);

  Reopen();  // the Purge is replayed from the log
  EXPECT_TRUE(AwaitGetTask(done).status().IsNotFound());
  EXPECT_EQ(Get(open).status, TaskStatus::kPending);
  ASSERT_TRUE(service_->FlushForTesting().ok());
  Open(Options());  // and RocksDB deleted it too
  EXPECT_TRUE(AwaitGetTask(done).status().IsNotFound());
  EXPECT_EQ(service_->recovery().tasks_restored, 1u);
}

}  // namespace
}  // namespace dsc::queue
