// Log: a segmented, durable, append-only write-ahead log.
//
// Every system in dsc writes what happened into a Log before it answers,
// and rebuilds its state from the Log after a crash. See format.h for the
// bytes on disk and log_reader.h for what a damaged log means.
//
//   auto log = Log::Open("data/wal", LogOptions::For("queue"));  // recovers
//   Result<uint64_t> lsn = (*log)->Append(kEnqueue, json);  // durable
//   auto records = (*log)->Read(/*from_lsn=*/1);
//
// Or, where no thread may wait (a coroutine), append and be called back:
//
//   Result<uint64_t> lsn = log->AppendAsync(kEnqueue, json);  // written
//   log->OnDurable(*lsn, [](const Status& s) { /* post the reply */ });
//
// Durability, per log (DurabilityPolicy):
//   always       A record is durable once an fdatasync covers it. Commit is
//                grouped in two stages: writes queue up and the first in
//                line writes everyone's records with one write() (the
//                leader/follower batching of LevelDB's DBImpl::Write); then
//                one fdatasync covers every record written so far, for all
//                who wait, while the next writes already proceed. N
//                appenders share far fewer than N syncs.
//   interval:MS  A record counts as durable once written; the sync thread
//                syncs every MS milliseconds. A power loss may drop the last MS.
//   never        As interval, but the OS decides when to sync. Survives
//                kill -9 (the kernel keeps the bytes), not power loss.
// Append, WaitDurable and OnDurable all mean "as durable as the policy
// promises", so callers never branch on the policy. Sync() and Close()
// fdatasync whatever the policy (Close not under `never`).
//
// Failure: if a write or an fsync fails, the log is poisoned: that append
// and every later call fail with a Poisoned status. Retrying an fsync
// cannot be trusted (the kernel may have dropped the dirty pages), so the
// process must reopen the log, which recovers from what is really on disk.
//
// Threads: each fdatasync is run by a sync leader, the first waiter to find
// none running: a blocked caller (Append, WaitDurable, Sync), or for
// OnDurable callbacks the log's one sync thread, which also runs the
// interval syncs and alone fires the callbacks. Blocked callers lead
// themselves because a hand-off to a sleeping thread costs a wake-up per
// sync. (A segment roll is synced by the write leader that rolls.) No lock
// is held while writing, syncing or calling back.
//
// Thread-safety: all methods are safe to call from many threads at once,
// except from inside an OnDurable callback (see there).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"
#include "wal/file_system.h"
#include "wal/format.h"
#include "wal/log_reader.h"

namespace dsc::wal {

struct DurabilityPolicy {
  enum class Kind { kAlways, kInterval, kNever };
  Kind kind = Kind::kAlways;
  std::chrono::milliseconds interval{0};  // only for kInterval

  static DurabilityPolicy Always() { return {}; }
  static DurabilityPolicy Never() { return {Kind::kNever, {}}; }
  static DurabilityPolicy Interval(std::chrono::milliseconds ms) { return {Kind::kInterval, ms}; }
  // Parses "always", "never" or "interval:MS" (MS > 0).
  static Result<DurabilityPolicy> Parse(std::string_view text);
  std::string ToString() const;
};

struct LogOptions {
  // The system that owns the log ("queue", "raft", ...), written into every
  // segment header (format.h). Required; Open refuses a log of another system.
  std::string system;
  DurabilityPolicy durability;
  // Segments are preallocated to this size. A segment is closed (trimmed
  // to its last record, synced) and a new one started once the next group
  // would not fit. Records never span segments.
  uint64_t segment_bytes = 16u << 20;
  // A group commit stops adding waiting appenders once it holds this much.
  size_t max_group_bytes = 1u << 20;
  // The LSN of the first record when the directory holds no log yet.
  uint64_t first_lsn = 1;
  // Where the bytes go. Not owned; must outlive the Log.
  FileSystem* fs = FileSystem::Default();

  // The defaults, for the log of `system`.
  static LogOptions For(std::string system) {
    LogOptions options;
    options.system = std::move(system);
    return options;
  }
};

// What recovery found and did when the log was opened.
struct RecoveryReport {
  size_t segments = 0;
  uint64_t records = 0;
  std::optional<TornTail> truncated;  // set when a torn tail was zeroed
};

// Counters for tests, benchmarks and /metrics.
struct LogStats {
  uint64_t appends = 0;  // records appended
  uint64_t groups = 0;   // write() batches issued
  uint64_t syncs = 0;    // fdatasync calls on segments
  uint64_t bytes = 0;    // bytes written
  uint64_t segments_created = 0;
};

// Called once with OK when a record is durable, or with why it never will be.
using DurableCallback = std::function<void(const Status&)>;

// One record to append.
struct Entry {
  uint8_t type = 1;
  std::string_view payload;
};

class Log {
 public:
  // Opens (creating if needed) the log in `dir`, recovers it and takes an
  // exclusive lock on the directory. Recovery zeroes a torn tail of the
  // open segment (log_reader.h says which damage counts as one). Fails with
  // Corruption naming segment and offset when the log is damaged anywhere
  // else, and with InvalidArgument for a log of another system or format.
  static Result<std::unique_ptr<Log>> Open(const std::string& dir, LogOptions options);

  ~Log();  // Close()s, ignoring the status.
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // Appends one record and returns its LSN once it is as durable as the
  // policy promises (for `always`: on disk).
  Result<uint64_t> Append(uint8_t type, std::string_view payload);
  // Appends records atomically in order (all are written in one group) and
  // returns the LSN of the last.
  Result<uint64_t> AppendBatch(std::span<const Entry> entries);
  // Appends without waiting for fdatasync, whatever the policy. The record
  // is readable at once; OnDurable or WaitDurable tell when it is durable.
  // Raft uses this to send entries to followers while its own disk syncs.
  Result<uint64_t> AppendAsync(uint8_t type, std::string_view payload);

  // Calls `callback` exactly once: with OK when every record up to `lsn` is
  // as durable as the policy promises (`always`: fdatasync'ed; otherwise
  // written, which an LSN an append returned already is), or with the
  // poison status, with Conflict if TruncateSuffix removed the record
  // first, with Unavailable if the log was closed first (Close syncs, so
  // under `always` and `interval` a pending callback normally gets OK), or
  // with InvalidArgument if `lsn` was never appended. `lsn` 0 is OK.
  //
  // Never calls back inline: the log's sync thread does, in LSN order,
  // without the log's lock, so the caller may hold its own mutex here.
  // Callbacks delay every later one and the next sync: they must be quick
  // and not throw (post the real work elsewhere), and must not call the
  // log's blocking methods (Append*, WaitDurable, Sync, TruncateSuffix,
  // DropPrefix, Close): Close waits for the callbacks, so it would never
  // return, and the others would stall them. OnDurable and the accessors
  // are fine.
  void OnDurable(uint64_t lsn, DurableCallback callback);
  // Blocks until OnDurable(lsn, ...) would call back, and returns its status
  // (a blocked caller may run the fdatasync itself; see the header comment).
  Status WaitDurable(uint64_t lsn);
  // Makes everything appended so far durable with an fdatasync, whatever
  // the policy.
  Status Sync();

  // Up to `max_records` records starting at `from_lsn` (stopping early once
  // `max_bytes` of payload are gathered, but always at least one record).
  // Empty when from_lsn > last_lsn(); NotFound when from_lsn < first_lsn()
  // (dropped by compaction).
  Result<std::vector<Record>> Read(uint64_t from_lsn, size_t max_records = SIZE_MAX,
                                   size_t max_bytes = SIZE_MAX) const;

  // Durably removes every record after `last_kept_lsn` (Raft: a follower's
  // conflicting suffix): later segments are deleted and the removed bytes of
  // the segment kept are zeroed. The next append gets last_kept_lsn + 1.
  Status TruncateSuffix(uint64_t last_kept_lsn);
  // Deletes whole segments all of whose records are below `lsn` (after a
  // snapshot or a flush of the state covering them). The segment being
  // written is never deleted, so first_lsn() may stay below `lsn`.
  Status DropPrefix(uint64_t lsn);

  // Syncs (unless the policy is `never`), then completes every pending
  // callback (OK if its record made it, else Unavailable) before it
  // returns. Later calls fail with Unavailable.
  Status Close();

  uint64_t first_lsn() const;    // first record held (next LSN when empty)
  uint64_t last_lsn() const;     // last record written; first_lsn()-1 when empty
  uint64_t durable_lsn() const;  // last record known to be on disk (synced)
  Status health() const;         // OK, or why the log is poisoned / closed
  const DurabilityPolicy& durability() const { return options_.durability; }
  const RecoveryReport& recovery() const { return recovery_; }
  LogStats stats() const;
  // Callers currently inside an append or a wait for durability.
  size_t appenders_in_flight() const;
  // OnDurable callbacks not yet called back (blocked callers count in
  // appenders_in_flight()).
  size_t durable_waiters() const;
  const std::string& dir() const { return dir_; }

 private:
  struct Segment;
  struct Writer;
  // A callback that is due, with its answer.
  using Completion = std::pair<DurableCallback, Status>;

  Log(std::string dir, LogOptions options);
  Status Recover();
  Result<uint64_t> AppendEntries(std::span<const Entry> entries, bool wait_for_sync);
  Result<uint64_t> Submit(Writer* w);
  void RunGroup(std::unique_lock<std::mutex>& lock, Writer* leader);
  Status DoTruncateSuffix(std::unique_lock<std::mutex>& lock, uint64_t last_kept);
  Status DoDropPrefix(std::unique_lock<std::mutex>& lock, uint64_t lsn);
  Status StartSegment(uint64_t first_lsn);  // with mutex_ NOT held
  Status RemoveUnfinishedSegments();
  Status OpenSegments(ScanResult scan);
  void Poison(const Status& cause);  // with mutex_ held

  // With mutex_ held. Last LSN the policy calls durable: synced under
  // `always`, written otherwise.
  uint64_t PromisedLsnLocked() const;
  // With `lock` held: returns once `lsn` is synced, leading a sync if none runs.
  Status WaitDurableLocked(std::unique_lock<std::mutex>& lock, uint64_t lsn);
  void WakeDurabilityWaiters();  // with mutex_ held
  // The sync thread: leads a sync when a callback waits and no one else
  // syncs (or the interval is up), and fires the callbacks that are due.
  void SyncLoop();
  std::vector<Completion> TakeDueCallbacksLocked();
  bool SyncWantedLocked(bool interval_due) const;
  void SyncLocked(std::unique_lock<std::mutex>& lock);

  const std::string dir_;
  const LogOptions options_;
  RecoveryReport recovery_;
  std::unique_ptr<DirLock> lock_;

  mutable std::mutex mutex_;
  // Appenders waiting their turn to write; the front one is the leader.
  std::deque<Writer*> writers_;                     // GUARDED_BY(mutex_)
  size_t in_flight_ = 0;                            // GUARDED_BY(mutex_)
  std::vector<std::shared_ptr<Segment>> segments_;  // GUARDED_BY(mutex_)
  uint64_t next_lsn_ = 1;                           // GUARDED_BY(mutex_)
  uint64_t written_lsn_ = 0;                        // GUARDED_BY(mutex_)
  uint64_t durable_lsn_ = 0;                        // GUARDED_BY(mutex_)
  Status error_;                                    // GUARDED_BY(mutex_): poisoned/closed
  LogStats stats_;                                  // GUARDED_BY(mutex_)
  // The active segment's file. Written only by the write leader (the front
  // of writers_); replaced under mutex_, and shared so a sync leader can
  // sync it while the write leader moves on to a new segment.
  std::shared_ptr<WritableFile> active_;  // replaced under mutex_

  // A blocked caller of WaitDurableLocked asleep until its LSN is synced.
  // Woken directly by whoever ran the sync (no detour through the sync
  // thread: one wake-up per waiter, as before callbacks existed).
  struct DurabilityWaiter {
    uint64_t lsn = 0;
    bool woken = false;  // GUARDED_BY(mutex_)
    std::condition_variable cv;
  };
  std::vector<DurabilityWaiter*> durability_waiters_;  // GUARDED_BY(mutex_)

  // --- the sync thread's work, all GUARDED_BY(mutex_) ---
  // Callbacks waiting for their LSN, in LSN order (equal LSNs in call order).
  std::multimap<uint64_t, DurableCallback> callbacks_;
  // Callbacks already answered (truncated away, or called on a failed or
  // closed log), for the sync thread to fire. A truncation must answer its
  // victims at once: a later append reuses their LSNs.
  std::vector<Completion> answered_;
  // Callbacks registered and not yet returned from (durable_waiters()).
  size_t unfired_ = 0;
  // True while one sync leader (a blocked caller or the sync thread) runs
  // fdatasync for everyone. Truncation also holds it, to keep syncs out,
  // and waits on truncate_cv_ for a running sync to end.
  bool syncing_ = false;
  bool stop_ = false;                // the destructor ends the sync thread
  std::condition_variable sync_cv_;  // wakes the sync thread
  std::condition_variable truncate_cv_;
  std::condition_variable fired_cv_;  // Close waits for unfired_ == 0
  std::thread sync_thread_;
};

}  // namespace dsc::wal
