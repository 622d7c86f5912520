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
// order of the applies. The reply then waits for the record to be durable
// without holding anything: the log calls back (Log::OnDurable) once its
// group commit has synced the record, and concurrent requests share one
// fdatasync. An enqueue's id is therefore durable before its 201.
//
// No thread waits for a reply. Every request takes a completion callback
// (Done) and returns at once; the callback runs exactly once, from
// whichever thread finished the work: the caller's own (an error, a
// non-durable lease), the log's sync thread (a durable reply), or a timer
// on `executor` (a long poll that ran out). It never runs with the
// service's lock held; as it may run on the log's sync thread, it must be
// quick and hand the answer on rather than call the service or the log
// (the node's HTTP handlers post it to their connection: AwaitCallback in
// nodes/common/completion.h turns it into a co_await).
//
// Long polls: a lease with nothing ready is parked in a FIFO of waiters,
// with one timer for their deadlines. An enqueue, an expiry or a retry
// coming due hands the ready task to the oldest waiter. Lease expiry is a
// timer too, on the same executor.
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
// the memory is ahead of the disk and nothing can be trusted: every reply
// still waiting for durability and every parked long poll is answered
// Unavailable, every later call too, the service logs an ERROR and calls
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
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/status.h"
#include "engine/engine.h"
#include "nodes/queue/clock.h"
#include "nodes/queue/core/queue_options.h"
#include "nodes/queue/core/queue_state.h"
#include "nodes/queue/state_flusher.h"
#include "wal/log.h"

namespace dsc::queue {

namespace asio = boost::asio;

// A completion callback: called exactly once, never with the service's
// lock held, maybe on the log's sync thread (see above). The same type as nodes/common's
// node::Done, which the service does not include: it knows nothing of HTTP.
template <typename T>
using Done = std::function<void(T)>;

// The longest a worker may wait in one long-poll lease.
inline constexpr std::chrono::milliseconds kMaxLeaseWait{30'000};

struct QueueServiceOptions {
  std::string data_dir;  // required; holds wal/ and state/
  wal::DurabilityPolicy durability = wal::DurabilityPolicy::Always();
  QueueOptions queue;      // limits, default retries, backoff, retention
  Clock* clock = nullptr;  // not owned; nullptr: SystemClock
  // Seeds the id and jitter generator; nullopt: std::random_device. Ids
  // are random 64-bit numbers (checked against existing ones), so a fixed
  // seed is safe across restarts too.
  std::optional<uint64_t> seed;
  // Where the timers run (long-poll deadlines, lease expiry): the node
  // server's executor. Its io_context must outlive the service. Without
  // one, a long poll cannot wait (Lease answers at once) and nothing
  // expires leases but Lease calls and ExpireDue().
  asio::any_io_executor executor;
  // Run the expiry timer on `executor`. Tests with a FakeClock turn it
  // off and call ExpireDue() themselves.
  bool expiry_timer = true;
  // A lease reply waits until the Lease record is durable, as enqueue,
  // ack and fail replies do (dsc queue serve --durable-leases). Off by
  // default: a crash may then forget a lease, and the task is delivered
  // again (at-least-once); see Lease() for what each choice costs.
  bool durable_leases = false;
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
  uint64_t purged = 0;         // finished tasks removed after their retention
};

struct QueueServiceStats {
  QueueStats tasks;
  QueueCounters counters;
  uint64_t first_lsn = 0;
  uint64_t last_lsn = 0;
  uint64_t durable_lsn = 0;
  uint64_t persisted_lsn = 0;  // tasks in RocksDB reflect the log up to here
  size_t parked_leases = 0;    // long polls waiting for a task
  size_t pending_replies = 0;  // replies waiting for their record to be durable
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
  using LeaseDone = Done<Result<std::optional<LeasedTask>>>;

  // Opens (creating) DATA/wal and DATA/state, restores and replays, and
  // starts the expiry timer. Fails when either is unusable, corrupt or
  // locked by another process.
  static Result<std::unique_ptr<QueueService>> Open(QueueServiceOptions options);

  ~QueueService();  // Close()s
  QueueService(const QueueService&) = delete;
  QueueService& operator=(const QueueService&) = delete;

  // Adds a task (POST /tasks). Answers once the record is durable (as the
  // fsync policy promises). A repeated idempotency key answers the
  // existing task with created=false, also only once that task is durable.
  void Enqueue(const EnqueueRequest& request, Done<Result<EnqueueResult>> done);

  // Leases the ready task that has waited longest (POST /tasks/lease).
  // With nothing ready, parks the request for up to `wait` (capped at
  // kMaxLeaseWait; 0 without an executor) until an enqueue, an expiry or a
  // retry coming due gives it a task; nullopt when none came in time or
  // the service shut down. The lease is logged; the answer waits for its
  // record to be durable only with options.durable_leases.
  void Lease(std::string_view worker, int64_t lease_ms, std::chrono::milliseconds wait,
             LeaseDone done);

  // The worker holding the lease reports success / failure. Both answer
  // once durable.
  void Ack(std::string_view id, std::string_view worker, Done<Status> done);
  void Fail(std::string_view id, std::string_view worker, std::string_view error,
            Done<Result<FailResult>> done);

  // The task as durably stored: answers once every record written so far
  // (those the task reflects among them) is durable. NotFound when absent
  // (see MayHaveBeenPurged).
  void GetTask(std::string_view id, Done<Result<Task>> done);

  // For an id GetTask did not find: true when the id says the task was
  // created longer than the retention ago, so it may have existed and been
  // purged (HTTP 410 Gone); false when it never existed (404).
  bool MayHaveBeenPurged(std::string_view id);

  // Expires every lease that ran out by now, hands tasks that became ready
  // (expired, or a retry come due) to parked long polls, and purges
  // finished tasks past their retention. Returns how many leases expired.
  // The expiry timer calls it; so do tests driving a FakeClock. Nobody
  // waits for these records to be durable (see the expiry_loop comment).
  Result<size_t> ExpireDue();

  QueueServiceStats Stats();
  const QueueRecovery& recovery() const { return recovery_; }
  // The durability policy as text ("always", "interval:5", "never").
  std::string fsync() const { return options_.durability.ToString(); }
  bool durable_leases() const { return options_.durable_leases; }
  int64_t retention_ms() const { return options_.queue.retention_ms; }
  // OK, or the fatal failure.
  Status health() const;

  // Persists all pending state to RocksDB and compacts the log now. Tests.
  Status FlushForTesting();

  // Refuses new requests, answers every parked long poll "no task" at
  // once and stops the timers, so the HTTP server can stop without waiting
  // for them. Replies waiting for durability complete by themselves (one
  // sync). Idempotent.
  void Shutdown();
  // Shutdown(), persists what is queued and closes the engine and the log
  // (the log answers any reply still waiting). Call after the HTTP server
  // stopped. Idempotent.
  Status Close();

 private:
  // A long poll parked until a task is ready or its wait runs out.
  struct LeaseWaiter {
    std::string worker;
    int64_t lease_ms = 0;
    std::chrono::steady_clock::time_point deadline;
    LeaseDone done;
  };

  // Replies decided under mutex_, sent once it is released: a reply may
  // resume a handler or call the service again, so it never runs under
  // the lock. Declared before the lock guard in a function, so it is
  // destroyed (and sends) after the guard unlocks.
  class Replies {
   public:
    Replies() = default;
    Replies(const Replies&) = delete;
    Replies& operator=(const Replies&) = delete;
    ~Replies() {
      for (auto& reply : replies_) reply();
    }
    void Add(std::function<void()> reply) { replies_.push_back(std::move(reply)); }
    template <typename T, typename V>
    void Send(Done<T> done, V&& answer) {
      replies_.push_back([done = std::move(done), answer = T(std::forward<V>(answer))]() mutable {
        done(std::move(answer));
      });
    }

   private:
    std::vector<std::function<void()>> replies_;
  };

  // How the timers' handlers reach the service. A handler may run after
  // the service is gone (the executor outlives it), so it holds this
  // instead of `this`; Close() clears `service` under `mutex`, which also
  // waits for a handler already running.
  struct TimerAnchor {
    std::mutex mutex;
    QueueService* service = nullptr;  // GUARDED_BY(mutex)
  };

  explicit QueueService(QueueServiceOptions options);

  Status Recover();  // queue_recovery.cc
  Status RestoreTasks();
  Status ReplayTail();

  // --- with mutex_ held ------------------------------------------------
  Status CheckServingLocked() const;
  int64_t NowLocked();
  std::string NewTaskIdLocked(int64_t now_ms);
  // Appends the command, applies it and queues its tasks for RocksDB.
  Result<uint64_t> LogAndApplyLocked(const Command& command);
  void CountLocked(const Command& command);  // counters_ for /metrics
  // Logs and applies a lease just decided, and answers it (at once, or
  // once durable with durable_leases).
  void GrantLeaseLocked(const queue::Lease& lease, LeaseDone done, Replies& replies);
  // Hands ready tasks to parked long polls, oldest first.
  void ServeWaitersLocked(int64_t now_ms, Replies& replies);
  // Appends and applies an Expire for every lease that ran out, then
  // serves the waiters (expired tasks, retries come due).
  Status ExpireDueLocked(int64_t now_ms, Replies& replies);
  // Logs Purge commands for the finished tasks past their retention.
  Status PurgeLocked(int64_t now_ms);
  // Removes a parked waiter and returns it.
  LeaseWaiter TakeWaiterLocked(std::map<uint64_t, LeaseWaiter>::iterator it);
  // Answers every parked long poll with `answer`.
  void AnswerAllWaitersLocked(const Result<std::optional<LeasedTask>>& answer, Replies& replies);
  // (Re)arms the timers when their next due time moved earlier.
  void ArmWaiterTimerLocked();
  void ArmExpiryTimerLocked(int64_t now_ms);
  void ArmTimerLocked(asio::steady_timer& timer, std::chrono::steady_clock::time_point at,
                      void (QueueService::*on_fire)());

  // --- without mutex_ ----------------------------------------------------
  // Calls `then(status)` once record `lsn` is as durable as the fsync
  // policy promises: OK, or Unavailable if the log failed (fatal) or
  // closed. Callable with mutex_ held: the log never calls back inline,
  // and a record already durable is answered through `replies`.
  void WhenDurable(uint64_t lsn, std::function<void(const Status&)> then, Replies& replies);
  // Timer handlers (through the anchor).
  void OnWaiterTimer();
  void OnExpiryTimer();
  // Records the first fatal failure, logs it, answers the parked long
  // polls (on the executor) and calls on_fatal. With or without mutex_.
  void ReportFatal(const Status& status);
  void AnswerWaitersAfterFatal();

  const QueueServiceOptions options_;
  Clock* const clock_;
  std::unique_ptr<wal::Log> log_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<StateFlusher> flusher_;
  QueueRecovery recovery_;
  const std::shared_ptr<TimerAnchor> anchor_ = std::make_shared<TimerAnchor>();

  mutable std::mutex mutex_;
  QueueState state_;            // GUARDED_BY(mutex_)
  std::mt19937_64 random_;      // GUARDED_BY(mutex_): ids and jitter
  int64_t last_now_ms_ = 0;     // GUARDED_BY(mutex_): clamps the clock
  QueueCounters counters_;      // GUARDED_BY(mutex_)
  bool shutting_down_ = false;  // GUARDED_BY(mutex_)

  // Parked long polls, by arrival (the oldest gets the next task), and the
  // same waiters by deadline (what the waiter timer waits for).
  std::map<uint64_t, LeaseWaiter> waiters_;  // GUARDED_BY(mutex_)
  std::set<std::pair<std::chrono::steady_clock::time_point, uint64_t>>
      waiter_deadlines_;         // GUARDED_BY(mutex_)
  uint64_t next_waiter_id_ = 0;  // GUARDED_BY(mutex_)

  // Both timers are set only under mutex_; each remembers when it is due
  // (time_point::max(): not armed), so it is re-armed only to go earlier.
  std::optional<asio::steady_timer> waiter_timer_;  // with an executor
  std::chrono::steady_clock::time_point waiter_timer_at_ =
      std::chrono::steady_clock::time_point::max();  // GUARDED_BY(mutex_)
  std::optional<asio::steady_timer> expiry_timer_;   // with an executor and expiry_timer
  std::chrono::steady_clock::time_point expiry_timer_at_ =
      std::chrono::steady_clock::time_point::max();  // GUARDED_BY(mutex_)
  int64_t last_purge_ms_ = 0;  // GUARDED_BY(mutex_): the timer purges once a second

  // Replies waiting in Log::OnDurable, for /metrics.
  std::atomic<size_t> pending_replies_{0};
  // Set once by ReportFatal, which may run with or without mutex_ held,
  // hence its own lock (always taken last).
  std::atomic<bool> fatal_reported_{false};
  mutable std::mutex fatal_mutex_;
  Status fatal_status_;  // GUARDED_BY(fatal_mutex_)
  bool closed_ = false;  // only the controlling thread
};

}  // namespace dsc::queue
