// QueueService: the durable work queue, without HTTP.
//
// It owns the three pieces of a dsc node's state:
//   * the write-ahead log (wal::Log in DATA/wal): the truth; every change
//     is one command record (nodes/queue/core/command.h);
//   * the in-memory QueueState (core/queue_state.h): what requests see;
//   * RocksDB (engine::Engine in DATA/state, column family "tasks"): a
//     copy of the tasks that lets a restart skip most of the log. It is
//     written behind the log by a StateFlusher (state_flusher.h).
//
// Every request that changes the queue follows one rule (the ordering
// rule, see LogAndApplyLocked in queue_service.cc): decide, write the
// record, apply it, all under one mutex, so the order of the log is the
// order of the applies; then wait for the record to be durable outside
// the mutex (concurrent requests share one fdatasync) and only then
// answer. An enqueue's id is therefore durable before its 201.
//
// Recovery (Open): load every task from RocksDB, then apply the log
// records after RocksDB's applied LSN, exactly as they were applied live.
//
// Time comes from a Clock (clock.h); every reading is clamped to be at
// least the previous one, so commands enter the log with non-decreasing
// now_ms even if the wall clock steps back. Task ids and retry jitter come
// from a seeded std::mt19937_64 owned by the service.
//
// Failure: if the log fails a write or an fsync (or the flusher fails),
// the memory is ahead of the disk and nothing can be trusted: the service
// answers every later call with Unavailable, logs an ERROR and calls
// `on_fatal` once, and the process should exit; a restart recovers by
// replay.
//
// Thread-safety: every public method may be called from many threads at
// once, except Open, Shutdown and Close (one controlling thread). No disk
// or network IO happens while the service mutex is held, except the log's
// page-cache write of AppendAsync (it never waits for an fsync).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>

#include "base/status.h"
#include "engine/engine.h"
#include "nodes/queue/clock.h"
#include "nodes/queue/core/queue_options.h"
#include "nodes/queue/core/queue_state.h"
#include "nodes/queue/state_flusher.h"
#include "wal/log.h"

namespace dsc::queue {

// The longest a worker may wait in one long-poll lease.
inline constexpr std::chrono::milliseconds kMaxLeaseWait{30'000};

struct QueueServiceOptions {
  std::string data_dir;  // required; holds wal/ and state/
  wal::DurabilityPolicy durability = wal::DurabilityPolicy::Always();
  QueueOptions queue;      // limits, default retries, backoff
  Clock* clock = nullptr;  // not owned; nullptr: SystemClock
  // Seeds the id and jitter generator; nullopt: std::random_device. Ids
  // are random 64-bit numbers (checked against existing ones), so a fixed
  // seed is safe across restarts too.
  std::optional<uint64_t> seed;
  // Run the lease-expiry loop on its own thread. Tests with a FakeClock
  // turn it off and call ExpireDue() themselves.
  bool expiry_thread = true;
  StateFlusherOptions flusher;
  // Segment size of the log; tests make it small to see DropPrefix work.
  uint64_t log_segment_bytes = 16u << 20;
  // Where the log's bytes go; not owned. nullptr: the real disk. Tests pass
  // a wal::MemFileSystem to fail syncs or drop unsynced data (power loss).
  wal::FileSystem* log_file_system = nullptr;
  // Close() flushes RocksDB's memtables. Tests set false to leave what a
  // kill -9 leaves: only what RocksDB already wrote, the rest in the log.
  bool flush_engine_on_close = true;
  // Called once, from whichever thread found it, on a fatal failure.
  std::function<void(const Status&)> on_fatal;
};

struct EnqueueResult {
  std::string id;
  TaskStatus status = TaskStatus::kPending;
  // False when the idempotency key named an existing task (a repeat).
  bool created = true;
};

// What a worker gets from a lease.
struct LeasedTask {
  std::string id;
  std::string payload;  // compact JSON text
  int attempt = 0;
  int64_t lease_expires_ms = 0;
};

struct FailResult {
  TaskStatus status = TaskStatus::kPending;  // pending (retry) or failed (dead)
  std::optional<int64_t> retry_at_ms;        // set when pending
};

// Totals since this process started (not persisted).
struct QueueCounters {
  uint64_t enqueued = 0;
  uint64_t leased = 0;
  uint64_t acked = 0;
  uint64_t retried = 0;        // Fail that made the task pending again
  uint64_t dead_lettered = 0;  // Fail or Expire that made it failed
  uint64_t expired = 0;        // leases that ran out
};

struct QueueServiceStats {
  QueueStats tasks;
  QueueCounters counters;
  uint64_t first_lsn = 0;
  uint64_t last_lsn = 0;
  uint64_t durable_lsn = 0;
  uint64_t persisted_lsn = 0;  // tasks in RocksDB reflect the log up to here
};

// What Open found.
struct QueueRecovery {
  size_t tasks_restored = 0;  // loaded from RocksDB
  uint64_t records_replayed = 0;
  uint64_t records_refused = 0;  // replayed commands Apply refused (as live)
  uint64_t from_lsn = 0;         // first LSN replayed
  uint64_t to_lsn = 0;           // last LSN the state reflects
};

class QueueService {
 public:
  // Opens (creating) DATA/wal and DATA/state, restores and replays.
  // Fails when either is unusable, corrupt or locked by another process.
  static Result<std::unique_ptr<QueueService>> Open(QueueServiceOptions options);

  ~QueueService();  // Close()s
  QueueService(const QueueService&) = delete;
  QueueService& operator=(const QueueService&) = delete;

  // Adds a task (POST /tasks). Returns once the record is durable (under
  // fsync=always). A repeated idempotency key returns the existing task
  // with created=false, also only once that task is durable.
  Result<EnqueueResult> Enqueue(const EnqueueRequest& request);

  // Leases the ready task that has waited longest (POST /tasks/lease).
  // With nothing ready, waits up to `wait` (capped at kMaxLeaseWait) for an
  // enqueue, an expiry or a retry becoming due; nullopt when none came.
  Result<std::optional<LeasedTask>> Lease(std::string_view worker, int64_t lease_ms,
                                          std::chrono::milliseconds wait);

  // The worker holding the lease reports success / failure.
  Status Ack(std::string_view id, std::string_view worker);
  Result<FailResult> Fail(std::string_view id, std::string_view worker, std::string_view error);

  // The task as durably stored (waits for in-flight records it reflects).
  Result<Task> GetTask(std::string_view id);

  // Expires every lease that ran out by now; returns how many. The expiry
  // thread calls it; so do tests driving a FakeClock.
  Result<size_t> ExpireDue();

  QueueServiceStats Stats();
  const QueueRecovery& recovery() const { return recovery_; }
  // The durability policy as text ("always", "interval:5", "never").
  std::string fsync() const { return options_.durability.ToString(); }
  // OK, or the fatal failure.
  Status health() const;

  // Persists all pending state to RocksDB and compacts the log now. Tests.
  Status FlushForTesting();

  // Refuses new requests and wakes long polls (they answer "no task"), so
  // the HTTP server can stop without waiting for them. Idempotent.
  void Shutdown();
  // Shutdown(), stops the threads, persists what is queued and closes the
  // engine and the log. Call after the HTTP server stopped. Idempotent.
  Status Close();

 private:
  explicit QueueService(QueueServiceOptions options);

  Status Recover();  // queue_recovery.cc
  Status RestoreTasks();
  Status ReplayTail();

  // --- with mutex_ held ------------------------------------------------
  Status CheckServingLocked() const;
  int64_t NowLocked();
  std::string NewTaskIdLocked();
  // Appends the command, applies it and queues its tasks for RocksDB.
  Result<uint64_t> LogAndApplyLocked(const Command& command);
  void CountLocked(const Command& command);  // counters_ for /metrics
  // Appends and applies an Expire for every lease that ran out; returns
  // the last LSN written (0 if none).
  Result<uint64_t> ExpireDueLocked(int64_t now_ms);
  // How long a long poll may sleep before something could be ready.
  std::chrono::milliseconds NextWakeLocked(int64_t now_ms) const;

  // --- without mutex_ ----------------------------------------------------
  // Waits until `lsn` is durable, as the fsync policy promises.
  Status MakeDurable(uint64_t lsn);
  // Records the first fatal failure, wakes every waiter, calls on_fatal.
  // Callable with or without mutex_ held.
  void ReportFatal(const Status& status);
  void RunExpiryLoop();

  const QueueServiceOptions options_;
  Clock* const clock_;
  std::unique_ptr<wal::Log> log_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<StateFlusher> flusher_;
  QueueRecovery recovery_;

  mutable std::mutex mutex_;
  QueueState state_;            // GUARDED_BY(mutex_)
  std::mt19937_64 random_;      // GUARDED_BY(mutex_): ids and jitter
  int64_t last_now_ms_ = 0;     // GUARDED_BY(mutex_): clamps the clock
  QueueCounters counters_;      // GUARDED_BY(mutex_)
  bool shutting_down_ = false;  // GUARDED_BY(mutex_)
  // Set once by ReportFatal, which may run with or without mutex_ held,
  // hence its own lock (always taken last).
  std::atomic<bool> fatal_reported_{false};
  mutable std::mutex fatal_mutex_;
  Status fatal_status_;  // GUARDED_BY(fatal_mutex_)
  // Long polls wait here for a task to become ready.
  std::condition_variable ready_cv_;
  // The expiry thread waits here for the next lease deadline.
  std::condition_variable expiry_cv_;
  std::thread expiry_thread_;
  bool closed_ = false;  // only the controlling thread
};

}  // namespace dsc::queue
