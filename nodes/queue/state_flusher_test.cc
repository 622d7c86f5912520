// StateFlusher against a real Engine (RocksDB in a temporary directory)
// and a log on an in-memory file system: what reaches RocksDB, with which
// LSN. FlushNow drives it; the background thread is never started.
#include "nodes/queue/state_flusher.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/test_util.h"
#include "wal/mem_file_system.h"

namespace dsc::queue {
namespace {

Task PendingTask(const std::string& id) {
  Task task;
  task.id = id;
  task.payload = "1";
  task.created_ms = task.updated_ms = task.available_at_ms = 1'000;
  task.enqueue_seq = 1;
  return task;
}

Task CompletedTask(const std::string& id) {
  Task task = PendingTask(id);
  task.status = TaskStatus::kCompleted;
  task.attempt = 1;
  task.worker = "w1";
  task.updated_ms = 2'000;
  task.finished_ms = 2'000;
  return task;
}

class StateFlusherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    wal::LogOptions log_options;
    log_options.system = "queue";
    log_options.fs = &fs_;
    Result<std::unique_ptr<wal::Log>> log = wal::Log::Open("/wal", log_options);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(log).value();
    engine::EngineOptions engine_options;
    engine_options.column_families = {kTasksColumnFamily};
    Result<std::unique_ptr<engine::Engine>> engine =
        engine::Engine::Open(dir_.Sub("state"), engine_options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
    flusher_ = std::make_unique<StateFlusher>(log_.get(), engine_.get(), StateFlusherOptions{},
                                              [](const Status& s) { FAIL() << s.ToString(); });
  }

  // A durable log record, as the service would have appended: the flusher
  // only checks that the log is durable up to the LSN it writes.
  uint64_t AppendRecord() {
    Result<uint64_t> lsn = log_->Append(1, "{}");
    EXPECT_TRUE(lsn.ok()) << lsn.status().ToString();
    return lsn.ok() ? *lsn : 0;
  }

  // The task as RocksDB holds it, or NotFound.
  Result<Task> Stored(const std::string& id) {
    Result<std::string> value = engine_->Get(kTasksColumnFamily, id);
    if (!value.ok()) return value.status();
    return TaskFromJson(*value);
  }

  wal::MemFileSystem fs_;
  engine::testing::TempDir dir_;
  std::unique_ptr<wal::Log> log_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<StateFlusher> flusher_;
};

TEST_F(StateFlusherTest, FlushNow_WritesChangedTasksWithTheLsn) {
  const uint64_t lsn = AppendRecord();
  flusher_->Add(lsn, {PendingTask("t-1")});  // the old two-argument call
  ASSERT_TRUE(flusher_->FlushNow(/*compact=*/false).ok());
  Result<Task> stored = Stored("t-1");
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(*stored, PendingTask("t-1"));
  EXPECT_EQ(engine_->applied_lsn(), lsn);
  EXPECT_EQ(flusher_->persisted_lsn(), lsn);
}

TEST_F(StateFlusherTest, FlushNow_DeletesRemovedTasksInTheBatchOfTheirLsn) {
  flusher_->Add(AppendRecord(), {CompletedTask("t-1"), CompletedTask("t-2")});
  ASSERT_TRUE(flusher_->FlushNow(false).ok());
  ASSERT_TRUE(Stored("t-1").ok());

  const uint64_t purge_lsn = AppendRecord();
  flusher_->Add(purge_lsn, {}, {"t-1"});
  ASSERT_TRUE(flusher_->FlushNow(false).ok());
  EXPECT_TRUE(Stored("t-1").status().IsNotFound()) << Stored("t-1").status().ToString();
  EXPECT_TRUE(Stored("t-2").ok());  // not purged: still there
  EXPECT_EQ(engine_->applied_lsn(), purge_lsn);

  // It stays gone across a compaction (RocksDB flushed to disk).
  ASSERT_TRUE(flusher_->FlushNow(/*compact=*/true).ok());
  EXPECT_TRUE(Stored("t-1").status().IsNotFound());
}

TEST_F(StateFlusherTest, FlushNow_LaterRecordWinsWithinOneBatch) {
  // Written and purged before the flusher ran: never reaches RocksDB.
  flusher_->Add(AppendRecord(), {CompletedTask("t-1")});
  flusher_->Add(AppendRecord(), {}, {"t-1"});
  // Purged, then (an id used again) written: the write wins.
  flusher_->Add(AppendRecord(), {CompletedTask("t-2")});
  flusher_->Add(AppendRecord(), {}, {"t-2"});
  flusher_->Add(AppendRecord(), {PendingTask("t-2")});
  // An id RocksDB never had: deleting it is harmless.
  const uint64_t last = AppendRecord();
  flusher_->Add(last, {}, {"t-never"});
  ASSERT_TRUE(flusher_->FlushNow(false).ok());
  EXPECT_TRUE(Stored("t-1").status().IsNotFound());
  Result<Task> t2 = Stored("t-2");
  ASSERT_TRUE(t2.ok()) << t2.status().ToString();
  EXPECT_EQ(t2->status, TaskStatus::kPending);
  EXPECT_TRUE(Stored("t-never").status().IsNotFound());
  EXPECT_EQ(engine_->applied_lsn(), last);
}

}  // namespace
}  // namespace dsc::queue
