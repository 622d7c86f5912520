// StateFlusher: copies the queue's changed tasks into RocksDB, in LSN
// order, behind the write-ahead log, and keeps the log bounded.
//
// QueueService applies each command to its in-memory QueueState and hands
// the tasks it changed (and the ids a Purge removed) to Add(lsn, tasks,
// removed). A background thread then, every `interval` (or sooner when
// much is queued):
//
//   1. waits until the log is durable up to the last queued LSN (usually
//      it already is: the requests waited for it before answering; under
//      fsync=never or interval:MS this is an fdatasync once per round);
//   2. writes every queued task, and deletes every removed one, in ONE
//      engine::Batch with that LSN (Engine::Apply: data and applied LSN
//      in one atomic write), so RocksDB never holds a deletion without
//      the LSN of the Purge that made it, nor the reverse;
//   3. after `compact_every_records` records, Engine::Flush()es the
//      memtables to disk and drops the log segments the flushed state
//      covers (Log::DropPrefix(covered + 1)).
//
// Why a flusher instead of writing RocksDB inside each request: the rule
// that keeps replay correct is "the engine may lag the log, never lead
// it". If a request wrote RocksDB right after its (not yet synced) log
// append, RocksDB could flush that state to disk before the log's
// fdatasync, and a power cut would leave the engine ahead of the log:
// ReplayLog then refuses to start (the log lost records the state already
// reflects). Step 1 makes that impossible, and as a bonus one RocksDB
// write covers many requests. The price is a little memory for tasks not
// yet persisted and a longer replay after a crash (at most `interval` of
// records more).
//
// Failure: a failed sync, Apply, Flush or DropPrefix is fatal (the log or
// the engine is poisoned): `on_fatal` is called once, the flusher stops,
// and later Add()s are dropped. A restart recovers by replay.
//
// Thread-safety: Add, FlushNow and the accessors may be called from any
// thread. Add must be called in increasing LSN order (QueueService calls
// it under its own mutex, in the order it appended). Start/Stop from one
// controlling thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "engine/engine.h"
#include "nodes/queue/core/task.h"
#include "wal/log.h"

namespace dsc::queue {

// The RocksDB column family holding the tasks: key = task id, value =
// TaskToJsonText(task), the text of TaskToJson(task).dump().
inline constexpr char kTasksColumnFamily[] = "tasks";

struct StateFlusherOptions {
  // How often queued tasks are written to RocksDB.
  std::chrono::milliseconds interval{50};
  // Write at once (without waiting for `interval`) when this many records
  // are queued, so memory stays bounded under heavy load.
  size_t max_queued_records = 4096;
  // Flush RocksDB and drop covered log segments after this many records.
  uint64_t compact_every_records = 50'000;
};

class StateFlusher {
 public:
  // `log` and `engine` are borrowed and must outlive the flusher.
  StateFlusher(wal::Log* log, engine::Engine* engine, StateFlusherOptions options,
               std::function<void(const Status&)> on_fatal);
  ~StateFlusher();  // Stop()s
  StateFlusher(const StateFlusher&) = delete;
  StateFlusher& operator=(const StateFlusher&) = delete;

  void Start();
  // Stops the thread, then persists what is still queued. Idempotent.
  Status Stop();

  // Queues the tasks record `lsn` changed, and the ids of the tasks it
  // removed (ApplyResult::removed_task_ids of a Purge), to be deleted
  // from RocksDB. `lsn` > every earlier one.
  void Add(uint64_t lsn, std::vector<Task> changed, std::vector<std::string> removed = {});

  // Persists everything queued now; with `compact`, also flushes RocksDB
  // and drops the covered log prefix. For shutdown and tests.
  Status FlushNow(bool compact);

  // The LSN up to which tasks have reached the engine.
  uint64_t persisted_lsn() const;

 private:
  struct Entry {
    uint64_t lsn = 0;
    std::vector<Task> tasks;
    std::vector<std::string> removed;
  };

  void Run();
  // Writes the queued entries to the engine (steps 1 and 2). Holds
  // persist_mutex_ so that concurrent callers apply LSNs in order.
  Status Persist(bool compact);
  Status Compact();  // step 3; persist_mutex_ held
  void ReportFatal(const Status& status);

  wal::Log* const log_;
  engine::Engine* const engine_;
  const StateFlusherOptions options_;
  const std::function<void(const Status&)> on_fatal_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Entry> queued_;   // GUARDED_BY(mutex_), LSN order
  bool stop_ = false;           // GUARDED_BY(mutex_)
  Status error_;                // GUARDED_BY(mutex_): set once fatal
  uint64_t persisted_lsn_ = 0;  // GUARDED_BY(mutex_)

  std::mutex persist_mutex_;       // serialises Persist (IO, never under mutex_)
  uint64_t since_compaction_ = 0;  // GUARDED_BY(persist_mutex_)
  std::thread thread_;
};

}  // namespace dsc::queue
