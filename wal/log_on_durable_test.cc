// OnDurable: completion-based durability, called back from the log's sync
// thread. The gated file system holds fdatasync where a test needs to know
// what is and is not covered yet; every wait is bounded, none is a sleep.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "wal/gated_file_system.h"
#include "wal/log.h"

namespace dsc::wal {
namespace {

using Gate = GatedFileSystem::Gate;
constexpr auto kPatience = std::chrono::seconds(30);  // a hang fails, never a slow machine

// Records what each callback was called with, and where.
class Recorder {
 public:
  struct Call {
    uint64_t lsn = 0;
    Status status;
    uint64_t durable_lsn = 0;  // the log's, as the callback ran
    std::thread::id thread;
  };

  explicit Recorder(const Log* log = nullptr) : log_(log) {}

  DurableCallback For(uint64_t lsn) {
    return [this, lsn](const Status& status) {
      Call call{lsn, status, log_ != nullptr ? log_->durable_lsn() : 0, std::this_thread::get_id()};
      std::lock_guard lock(mutex_);
      calls_.push_back(std::move(call));
      cv_.notify_all();
    };
  }
  // Waits (bounded) until `n` callbacks ran.
  bool AwaitCalls(size_t n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, kPatience, [&] { return calls_.size() >= n; });
  }
  std::vector<Call> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  std::vector<uint64_t> lsns() const {
    std::vector<uint64_t> out;
    for (const Call& c : calls()) out.push_back(c.lsn);
    return out;
  }

 private:
  const Log* log_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Call> calls_;
};

std::unique_ptr<Log> OpenLog(FileSystem* fs, DurabilityPolicy policy = DurabilityPolicy::Always()) {
  LogOptions options;
  options.system = "test";
  options.fs = fs;
  options.durability = policy;
  auto opened = Log::Open("wal", options);
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  return opened.ok() ? std::move(*opened) : nullptr;
}

uint64_t AppendAsync(Log& log, std::string_view payload) {
  Result<uint64_t> lsn = log.AppendAsync(1, payload);
  EXPECT_TRUE(lsn.ok()) << lsn.status().ToString();
  return lsn.ok() ? *lsn : 0;
}

TEST(LogOnDurable, OnDurable_FiresInLsnOrderOnceEachOnlyAfterASyncCoversThem) {
  GatedFileSystem fs;
  auto log = OpenLog(&fs);
  Recorder recorder(log.get());
  fs.Close(Gate::kSync);
  for (int i = 1; i <= 8; ++i) ASSERT_EQ(AppendAsync(*log, "r" + std::to_string(i)), uint64_t(i));
  // Registered out of order, while the one sync they need is held.
  const uint64_t order[] = {5, 2, 8, 1, 7, 3, 6, 4};
  log->OnDurable(order[0], recorder.For(order[0]));
  fs.AwaitWaiter(Gate::kSync);
  for (size_t i = 1; i < std::size(order); ++i) log->OnDurable(order[i], recorder.For(order[i]));
  EXPECT_EQ(log->durable_waiters(), 8u);
  EXPECT_TRUE(recorder.calls().empty());  // nothing is durable yet
  const uint64_t syncs_before = fs.mem().sync_count();

  fs.Open(Gate::kSync);
  ASSERT_TRUE(recorder.AwaitCalls(8));
  EXPECT_EQ(recorder.lsns(), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  for (const Recorder::Call& call : recorder.calls()) {
    EXPECT_TRUE(call.status.ok()) << call.lsn << ": " << call.status.ToString();
    EXPECT_GE(call.durable_lsn, call.lsn);
    EXPECT_NE(call.thread, std::this_thread::get_id());
  }
  EXPECT_GT(fs.mem().sync_count(), syncs_before);
  EXPECT_EQ(log->stats().syncs, 1u);  // one fdatasync covered all eight
  ASSERT_TRUE(log->Close().ok());
  EXPECT_EQ(recorder.calls().size(), 8u);  // exactly once: Close left none pending
  EXPECT_EQ(log->durable_waiters(), 0u);

  // What the callbacks called durable survives a power loss.
  fs.mem().DropUnsyncedData();
  log.reset();
  log = OpenLog(&fs);
  EXPECT_EQ(log->last_lsn(), 8u);
}

TEST(LogOnDurable, OnDurable_NeverCallsBackInline) {
  GatedFileSystem fs;
  auto log = OpenLog(&fs, DurabilityPolicy::Never());
  const uint64_t lsn = AppendAsync(*log, "a");
  // The caller may hold a mutex its callback takes: an inline call would
  // deadlock here.
  std::mutex callers_mutex;
  std::promise<std::thread::id> called;
  {
    std::lock_guard lock(callers_mutex);
    log->OnDurable(lsn, [&](const Status& s) {
      std::lock_guard callback_lock(callers_mutex);
      EXPECT_TRUE(s.ok()) << s.ToString();
      called.set_value(std::this_thread::get_id());
    });
  }
  auto id = called.get_future();
  ASSERT_EQ(id.wait_for(kPatience), std::future_status::ready);
  EXPECT_NE(id.get(), std::this_thread::get_id());
}

TEST(LogOnDurable, OnDurable_LsnZeroAndDurableLsnsCompleteOkAndUnknownOnesFail) {
  GatedFileSystem fs;
  auto log = OpenLog(&fs);
  ASSERT_TRUE(log->Append(1, "a").ok());
  Recorder recorder;
  log->OnDurable(0, recorder.For(0));
  log->OnDurable(1, recorder.For(1));
  log->OnDurable(2, recorder.For(2));  // never appended
  ASSERT_TRUE(recorder.AwaitCalls(3));
  for (const Recorder::Call& call : recorder.calls()) {
    if (call.lsn == 2) {
      EXPECT_TRUE(call.status.IsInvalidArgument()) << call.status.ToString();
    } else {
      EXPECT_TRUE(call.status.ok()) << call.lsn << ": " << call.status.ToString();
    }
  }
  EXPECT_EQ(log->stats().syncs, 1u);  // Append's own; the callbacks needed none
}

// Appenders that register while a sync runs all ride the next one.
TEST(LogOnDurable, OnDurable_ManyAppendingThreadsShareFewSyncs) {
  GatedFileSystem fs;
  auto log = OpenLog(&fs);
  Recorder recorder;
  fs.Close(Gate::kSync);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        const uint64_t lsn = AppendAsync(*log, "x");
        log->OnDurable(lsn, recorder.For(lsn));
      }
    });
  }
  for (auto& t : threads) t.join();
  constexpr size_t kAppends = kThreads * kPerThread;
  EXPECT_EQ(log->durable_waiters(), kAppends);
  fs.Open(Gate::kSync);
  ASSERT_TRUE(recorder.AwaitCalls(kAppends));

  const std::vector<Recorder::Call> calls = recorder.calls();
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_TRUE(calls[i].status.ok()) << calls[i].status.ToString();
    if (i > 0) {
      EXPECT_LT(calls[i - 1].lsn, calls[i].lsn);  // LSN order, each once
    }
  }
  const LogStats stats = log->stats();
  EXPECT_EQ(stats.appends, kAppends);
  // The first sync (held at the gate) covers what was written when it
  // began; one more covers the rest.
  EXPECT_LE(stats.syncs, 2u);
}

TEST(LogOnDurable, OnDurable_AFailedSyncFailsEveryPendingCallbackAndEveryLaterOne) {
  GatedFileSystem fs;
  auto log = OpenLog(&fs);
  Recorder recorder;
  fs.Close(Gate::kSync);
  for (int i = 1; i <= 5; ++i) AppendAsync(*log, "r");
  for (uint64_t lsn = 1; lsn <= 5; ++lsn) log->OnDurable(lsn, recorder.For(lsn));
  fs.AwaitWaiter(Gate::kSync);
  Status waited;
  std::thread waiter([&] { waited = log->WaitDurable(5); });
  Status appended;
  std::thread appender([&] { appended = log->Append(1, "blocked").status(); });
  while (log->appenders_in_flight() < 2) std::this_thread::yield();  // both behind the sync

  fs.FailSyncs();
  fs.Open(Gate::kSync);
  ASSERT_TRUE(recorder.AwaitCalls(5));
  waiter.join();
  appender.join();
  for (const Recorder::Call& call : recorder.calls()) {
    EXPECT_TRUE(call.status.IsPoisoned()) << call.lsn << ": " << call.status.ToString();
  }
  EXPECT_TRUE(waited.IsPoisoned()) << waited.ToString();
  EXPECT_TRUE(appended.IsPoisoned()) << appended.ToString();
  EXPECT_TRUE(log->health().IsPoisoned());

  // Later calls fail at once, even for an LSN that was never the problem.
  Recorder later;
  log->OnDurable(0, later.For(0));
  ASSERT_TRUE(later.AwaitCalls(1));
  EXPECT_TRUE(later.calls()[0].status.IsPoisoned());
  EXPECT_NE(later.calls()[0].thread, std::this_thread::get_id());
  EXPECT_TRUE(log->WaitDurable(1).IsPoisoned());
  EXPECT_EQ(log->durable_lsn(), 0u);
  EXPECT_EQ(log->appenders_in_flight(), 0u);
  EXPECT_TRUE(log->Close().IsPoisoned());
  EXPECT_EQ(log->durable_waiters(), 0u);  // Close waited for every callback to return
}

// Under `never` and `interval` a written record is as durable as promised:
// the syncs are held shut, and still every wait ends.
TEST(LogOnDurable, OnDurable_UnderNeverAndIntervalFiresWithoutASync) {
  for (DurabilityPolicy policy :
       {DurabilityPolicy::Never(), DurabilityPolicy::Interval(std::chrono::hours(1))}) {
    SCOPED_TRACE(policy.ToString());
    GatedFileSystem fs;
    auto log = OpenLog(&fs, policy);
    EXPECT_EQ(log->durability().kind, policy.kind);
    fs.Close(Gate::kSync);
    Recorder recorder;
    const uint64_t async_lsn = AppendAsync(*log, "a");
    log->OnDurable(async_lsn, recorder.For(async_lsn));
    ASSERT_TRUE(recorder.AwaitCalls(1));
    EXPECT_TRUE(recorder.calls()[0].status.ok());
    Result<uint64_t> lsn = log->Append(1, "b");  // returns without a sync
    ASSERT_TRUE(lsn.ok());
    EXPECT_TRUE(log->WaitDurable(*lsn).ok());
    EXPECT_EQ(log->stats().syncs, 0u);
    EXPECT_EQ(log->durable_lsn(), 0u);
    fs.Open(Gate::kSync);  // Close syncs under `interval`
  }
}

// The callback of LSN 1 holds the sync thread until a truncation has cut
// LSNs 3..5, so the outcome does not depend on who wins a race.
TEST(LogOnDurable, OnDurable_TruncatedRecordsFailWithConflict) {
  GatedFileSystem fs;
  auto log = OpenLog(&fs);
  Recorder recorder;
  fs.Close(Gate::kSync);
  AppendAsync(*log, "1");
  std::promise<void> truncated;
  std::shared_future<void> truncated_future = truncated.get_future().share();
  log->OnDurable(1, [&, first = recorder.For(1)](const Status& s) {
    first(s);
    EXPECT_EQ(truncated_future.wait_for(kPatience), std::future_status::ready);
  });
  fs.AwaitWaiter(Gate::kSync);  // syncing LSN 1 only
  for (int i = 2; i <= 5; ++i) AppendAsync(*log, std::to_string(i));
  for (uint64_t lsn : {2, 3, 5}) log->OnDurable(lsn, recorder.For(lsn));
  std::thread truncater([&] {
    EXPECT_TRUE(log->TruncateSuffix(2).ok());
    truncated.set_value();
  });
  fs.Open(Gate::kSync);
  ASSERT_TRUE(recorder.AwaitCalls(4));
  truncater.join();

  const std::vector<Recorder::Call> calls = recorder.calls();
  EXPECT_EQ(recorder.lsns(), (std::vector<uint64_t>{1, 2, 3, 5}));
  EXPECT_TRUE(calls[0].status.ok()) << calls[0].status.ToString();
  EXPECT_TRUE(calls[1].status.ok()) << calls[1].status.ToString();  // kept, and synced by the cut
  EXPECT_TRUE(calls[2].status.IsConflict()) << calls[2].status.ToString();
  EXPECT_TRUE(calls[3].status.IsConflict()) << calls[3].status.ToString();

  // The freed LSN is reused, and its new record becomes durable as usual.
  ASSERT_EQ(AppendAsync(*log, "3 again"), 3u);
  EXPECT_TRUE(log->WaitDurable(3).ok());
}

TEST(LogOnDurable, Close_SyncsAndCompletesPendingCallbacks) {
  GatedFileSystem fs;
  auto log = OpenLog(&fs);
  Recorder recorder;
  fs.Close(Gate::kSync);
  for (int i = 1; i <= 3; ++i) AppendAsync(*log, "r");
  log->OnDurable(1, recorder.For(1));
  fs.AwaitWaiter(Gate::kSync);
  log->OnDurable(3, recorder.For(3));
  std::promise<Status> closed;
  std::thread closer([&] { closed.set_value(log->Close()); });
  fs.Open(Gate::kSync);
  auto closed_status = closed.get_future();
  ASSERT_EQ(closed_status.wait_for(kPatience), std::future_status::ready);
  EXPECT_TRUE(closed_status.get().ok());
  closer.join();
  // Close returned, so every callback has run already: no wait needed.
  ASSERT_EQ(recorder.calls().size(), 2u);
  for (const Recorder::Call& call : recorder.calls()) {
    EXPECT_TRUE(call.status.ok()) << call.lsn << ": " << call.status.ToString();
  }

  // After Close, the answer is Unavailable, still from the sync thread.
  Recorder later;
  log->OnDurable(1, later.For(1));
  ASSERT_TRUE(later.AwaitCalls(1));
  EXPECT_TRUE(later.calls()[0].status.IsUnavailable()) << later.calls()[0].status.ToString();
  EXPECT_TRUE(log->WaitDurable(1).IsUnavailable());
}

TEST(LogOnDurable, Sync_UnderNeverStillSyncs) {
  GatedFileSystem fs;
  auto log = OpenLog(&fs, DurabilityPolicy::Never());
  ASSERT_TRUE(log->Append(1, "a").ok());
  EXPECT_EQ(log->durable_lsn(), 0u);
  ASSERT_TRUE(log->Sync().ok());
  EXPECT_EQ(log->durable_lsn(), 1u);
  EXPECT_EQ(log->stats().syncs, 1u);
}

}  // namespace
}  // namespace dsc::wal
