#include "nodes/queue/state_flusher.h"

#include <spdlog/spdlog.h>

#include <string_view>
#include <unordered_map>
#include <utility>

#include "engine/batch.h"

namespace dsc::queue {

StateFlusher::StateFlusher(wal::Log* log, engine::Engine* engine, StateFlusherOptions options,
                           std::function<void(const Status&)> on_fatal)
    : log_(log),
      engine_(engine),
      options_(options),
      on_fatal_(std::move(on_fatal)),
      persisted_lsn_(engine->applied_lsn()) {}

StateFlusher::~StateFlusher() { (void)Stop(); }

void StateFlusher::Start() {
  thread_ = std::thread([this] { Run(); });
}

Status StateFlusher::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  return Persist(/*compact=*/false);
}

void StateFlusher::Add(uint64_t lsn, std::vector<Task> changed, std::vector<std::string> removed) {
  std::lock_guard lock(mutex_);
  if (!error_.ok()) return;  // fatal already: the restart will replay
  queued_.push_back(Entry{lsn, std::move(changed), std::move(removed)});
  if (queued_.size() >= options_.max_queued_records) cv_.notify_one();
}

Status StateFlusher::FlushNow(bool compact) { return Persist(compact); }

uint64_t StateFlusher::persisted_lsn() const {
  std::lock_guard lock(mutex_);
  return persisted_lsn_;
}

void StateFlusher::Run() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    cv_.wait_for(lock, options_.interval,
                 [&] { return stop_ || queued_.size() >= options_.max_queued_records; });
    if (stop_) break;
    lock.unlock();
    const Status s = Persist(/*compact=*/false);
    lock.lock();
    if (!s.ok()) break;
  }
}

// ANCHOR: flusher_persist
Status StateFlusher::Persist(bool compact) {
  std::lock_guard persist_lock(persist_mutex_);
  std::vector<Entry> entries;
  {
    std::lock_guard lock(mutex_);
    if (!error_.ok()) return error_;
    entries.swap(queued_);
  }
  if (!entries.empty()) {
    const uint64_t last_lsn = entries.back().lsn;
    // The engine may lag the log, never lead it: RocksDB may write this
    // state to disk at any moment, so the records it reflects must be
    // on disk first, whatever the fsync policy (WaitDurable would not
    // sync under interval or never). Usually a no-op under always: the
    // requests already waited.
    if (Status s = log_->durable_lsn() >= last_lsn ? Status::Ok() : log_->Sync(); !s.ok()) {
      ReportFatal(s.WithContext("state flusher: sync log"));
      return s;
    }
    // A task changed several times in this batch (a busy queue enqueues,
    // leases and acks a task within milliseconds) is written once, as
    // its latest version: the same state as one Put per change, where
    // the later Put wins, for a third of the encoding and RocksDB work.
    // A removal is a latest version too (nullptr): the task is deleted.
    std::unordered_map<std::string_view, const Task*> latest;
    for (const Entry& entry : entries) {
      for (const Task& task : entry.tasks) latest[task.id] = &task;
      for (const std::string& id : entry.removed) latest[id] = nullptr;
    }
    engine::Batch batch;
    for (const auto& [id, task] : latest) {
      if (task == nullptr) {
        batch.Delete(kTasksColumnFamily, id);
      } else {
        batch.Put(kTasksColumnFamily, task->id, TaskToJsonText(*task));
      }
    }
    if (Status s = engine_->Apply(batch, last_lsn); !s.ok()) {
      ReportFatal(s.WithContext("state flusher: write tasks"));
      return s;
    }
    since_compaction_ += entries.size();
    std::lock_guard lock(mutex_);
    persisted_lsn_ = last_lsn;
  }
  if (compact || since_compaction_ >= options_.compact_every_records) return Compact();
  return Status::Ok();
}
// ANCHOR_END: flusher_persist

Status StateFlusher::Compact() {
  // Only what RocksDB has durably on disk may leave the log.
  Result<uint64_t> covered = engine_->Flush();
  if (!covered.ok()) {
    ReportFatal(covered.status().WithContext("state flusher: flush engine"));
    return covered.status();
  }
  if (Status s = log_->DropPrefix(*covered + 1); !s.ok()) {
    ReportFatal(s.WithContext("state flusher: drop log prefix"));
    return s;
  }
  since_compaction_ = 0;
  return Status::Ok();
}

void StateFlusher::ReportFatal(const Status& status) {
  {
    std::lock_guard lock(mutex_);
    if (!error_.ok()) return;
    error_ = status;
    queued_.clear();
  }
  spdlog::error("queue: {}; stopping so a restart recovers by replay", status.ToString());
  if (on_fatal_) on_fatal_(status);
}

}  // namespace dsc::queue
