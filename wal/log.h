// Log: a segmented, durable, append-only write-ahead log.
//
// Every system in dsc writes what happened into a Log before it answers,
// and rebuilds its state from the Log after a crash. See format.h for the
// bytes on disk and log_reader.h for what a damaged log means.
//
//   auto log = Log::Open("data/wal", LogOptions{});      // recovers
//   Result<uint64_t> lsn = (*log)->Append(kEnqueue, json);  // durable
//   auto records = (*log)->Read(/*from_lsn=*/1);
//
// Durability, per log (DurabilityPolicy):
//   always       Append returns only after its record is fdatasync'ed.
//                Concurrent appenders are group-committed in two stages:
//                writes queue up and the first in line writes everyone's
//                records with one write() (the leader/follower batching of
//                LevelDB's DBImpl::Write); then one fdatasync covers every
//                record written so far, while the next writes already
//                proceed. N appenders therefore share far fewer than N syncs.
//   interval:MS  Append returns after write(); a background thread syncs
//                every MS milliseconds. A power loss may drop the last MS.
//   never        Append returns after write(); the OS decides when to sync.
//                Survives kill -9 (the kernel keeps the bytes), not power loss.
//
// Failure: if a write or an fsync fails, the log is poisoned: that append
// and every later call fail with a Poisoned status. Retrying an fsync
// cannot be trusted (the kernel may have dropped the dirty pages), so the
// process must reopen the log, which recovers from what is really on disk.
//
// Thread-safety: all methods are safe to call from many threads at once.
// No lock is held while writing or syncing.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
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
  DurabilityPolicy durability;
  // A segment is closed (synced) and a new one started once it reaches
  // this size. Records never span segments.
  uint64_t segment_bytes = 16u << 20;
  // A group commit stops adding waiting appenders once it holds this much.
  size_t max_group_bytes = 1u << 20;
  // The LSN of the first record when the directory holds no log yet.
  uint64_t first_lsn = 1;
  // Where the bytes go. Not owned; must outlive the Log.
  FileSystem* fs = FileSystem::Default();
};

// What recovery found and did when the log was opened.
struct RecoveryReport {
  size_t segments = 0;
  uint64_t records = 0;
  std::optional<TornTail> truncated;  // set when a torn tail was cut off
};

// Counters for tests, benchmarks and /metrics.
struct LogStats {
  uint64_t appends = 0;  // records appended
  uint64_t groups = 0;   // write() batches issued
  uint64_t syncs = 0;    // fdatasync calls on segments
  uint64_t bytes = 0;    // bytes written
  uint64_t segments_created = 0;
};

// One record to append.
struct Entry {
  uint8_t type = 1;
  std::string_view payload;
};

class Log {
 public:
  // Opens (creating if needed) the log in `dir`, recovers it and takes an
  // exclusive lock on the directory. Fails with Corruption naming segment
  // and offset when the log is damaged anywhere but its tail.
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
  // is readable at once and durable once WaitDurable(lsn) returns OK. Raft
  // uses this to send entries to followers while its own disk syncs.
  Result<uint64_t> AppendAsync(uint8_t type, std::string_view payload);
  // Returns once every record up to `lsn` is on disk (syncing if needed).
  // Conflict if TruncateSuffix removes the record before that happens.
  Status WaitDurable(uint64_t lsn);
  // Makes everything appended so far durable.
  Status Sync();

  // Up to `max_records` records starting at `from_lsn` (stopping early once
  // `max_bytes` of payload are gathered, but always at least one record).
  // Empty when from_lsn > last_lsn(); NotFound when from_lsn < first_lsn()
  // (dropped by compaction).
  Result<std::vector<Record>> Read(uint64_t from_lsn, size_t max_records = SIZE_MAX,
                                   size_t max_bytes = SIZE_MAX) const;

  // Durably removes every record after `last_kept_lsn` (Raft: a follower's
  // conflicting suffix). The next append gets last_kept_lsn + 1.
  Status TruncateSuffix(uint64_t last_kept_lsn);
  // Deletes whole segments all of whose records are below `lsn` (after a
  // snapshot or a flush of the state covering them). The segment being
  // written is never deleted, so first_lsn() may stay below `lsn`.
  Status DropPrefix(uint64_t lsn);

  // Syncs (unless the policy is `never`) and stops the interval thread.
  // Later calls fail with Unavailable.
  Status Close();

  uint64_t first_lsn() const;    // first record held (next LSN when empty)
  uint64_t last_lsn() const;     // last record written; first_lsn()-1 when empty
  uint64_t durable_lsn() const;  // last record known to be on disk
  Status health() const;         // OK, or why the log is poisoned / closed
  const RecoveryReport& recovery() const { return recovery_; }
  LogStats stats() const;
  // Callers currently inside an append or a wait for durability.
  size_t appenders_in_flight() const;
  const std::string& dir() const { return dir_; }

 private:
  struct Segment;
  struct Writer;

  Log(std::string dir, LogOptions options);
  Status Recover();
  Result<uint64_t> AppendEntries(std::span<const Entry> entries, bool wait_for_sync);
  Result<uint64_t> Submit(Writer* w);
  void RunGroup(std::unique_lock<std::mutex>& lock, Writer* leader);
  Status WaitDurableLocked(std::unique_lock<std::mutex>& lock, uint64_t lsn);
  void WakeDurabilityWaiters();  // with mutex_ held
  Status DoTruncateSuffix(std::unique_lock<std::mutex>& lock, uint64_t last_kept);
  Status DoDropPrefix(std::unique_lock<std::mutex>& lock, uint64_t lsn);
  Status StartSegment(uint64_t first_lsn);  // with mutex_ NOT held
  void Poison(const Status& cause);         // with mutex_ held
  void IntervalSyncLoop();

  const std::string dir_;
  const LogOptions options_;
  RecoveryReport recovery_;
  std::unique_ptr<DirLock> lock_;

  mutable std::mutex mutex_;
  // Appenders waiting their turn to write; the front one is the leader.
  std::deque<Writer*> writers_;  // GUARDED_BY(mutex_)
  // A caller of WaitDurableLocked asleep until its LSN is durable.
  struct DurabilityWaiter {
    uint64_t lsn = 0;
    bool woken = false;  // GUARDED_BY(mutex_)
    std::condition_variable cv;
  };
  // True while one caller runs fdatasync for everyone (the sync leader);
  // the others sleep in durability_waiters_. Truncation also holds it, to
  // keep syncs out, and waits on truncate_cv_ for a running sync to end.
  bool syncing_ = false;                               // GUARDED_BY(mutex_)
  std::vector<DurabilityWaiter*> durability_waiters_;  // GUARDED_BY(mutex_)
  std::condition_variable truncate_cv_;
  size_t in_flight_ = 0;                            // GUARDED_BY(mutex_)
  std::vector<std::shared_ptr<Segment>> segments_;  // GUARDED_BY(mutex_)
  uint64_t next_lsn_ = 1;                           // GUARDED_BY(mutex_)
  uint64_t written_lsn_ = 0;                        // GUARDED_BY(mutex_)
  uint64_t durable_lsn_ = 0;                        // GUARDED_BY(mutex_)
  Status error_;                                    // GUARDED_BY(mutex_): poisoned/closed
  LogStats stats_;                                  // GUARDED_BY(mutex_)
  // The active segment's file. Written only by the write leader (the front
  // of writers_); replaced under mutex_, and shared so the sync leader can
  // sync it while the write leader moves on to a new segment.
  std::shared_ptr<WritableFile> active_;  // replaced under mutex_

  std::condition_variable interval_cv_;
  bool stop_interval_ = false;  // GUARDED_BY(mutex_)
  std::thread interval_thread_;
};

}  // namespace dsc::wal
