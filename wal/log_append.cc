// Log: appends with group commit, waiting for durability, and the sync
// thread that calls OnDurable callbacks back.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "wal/log.h"
#include "wal/log_internal.h"

namespace dsc::wal {

// --- appends: group commit -------------------------------------------------------

Result<uint64_t> Log::Append(uint8_t type, std::string_view payload) {
  const Entry entry{type, payload};
  return AppendBatch(std::span<const Entry>(&entry, 1));
}

Result<uint64_t> Log::AppendBatch(std::span<const Entry> entries) {
  return AppendEntries(
      entries,
      /*wait_for_sync=*/options_.durability.kind == DurabilityPolicy::Kind::kAlways);
}

Result<uint64_t> Log::AppendAsync(uint8_t type, std::string_view payload) {
  const Entry entry{type, payload};
  return AppendEntries(std::span<const Entry>(&entry, 1), /*wait_for_sync=*/false);
}

Result<uint64_t> Log::AppendEntries(std::span<const Entry> entries, bool wait_for_sync) {
  if (entries.empty()) return Status::InvalidArgument("append of an empty batch");
  for (const Entry& e : entries) {
    if (e.type == kInvalidType) return Status::InvalidArgument("record type 0 is reserved");
    if (e.payload.size() > kMaxPayloadBytes) {
      return Status::InvalidArgument("record payload of " + std::to_string(e.payload.size()) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(kMaxPayloadBytes));
    }
  }
  Writer w;
  w.kind = Writer::Kind::kAppend;
  w.entries = entries;
  w.sync = wait_for_sync;
  return Submit(&w);
}

Status Log::WaitDurable(uint64_t lsn) {
  std::unique_lock lock(mutex_);
  if (!error_.ok()) return error_;
  if (lsn > written_lsn_) {
    return Status::InvalidArgument("LSN " + std::to_string(lsn) + " was never appended");
  }
  if (lsn <= PromisedLsnLocked()) return Status::Ok();
  ++in_flight_;
  const Status s = WaitDurableLocked(lock, lsn);
  --in_flight_;
  return s;
}

// Unlike WaitDurable, syncs under `never` and `interval` too.
Status Log::Sync() {
  std::unique_lock lock(mutex_);
  if (!error_.ok()) return error_;
  ++in_flight_;
  const Status s = WaitDurableLocked(lock, written_lsn_);
  --in_flight_;
  return s;
}

void Log::OnDurable(uint64_t lsn, DurableCallback callback) {
  std::lock_guard lock(mutex_);
  ++unfired_;
  if (!error_.ok()) {
    answered_.emplace_back(std::move(callback), error_);
  } else if (lsn > written_lsn_) {
    answered_.emplace_back(
        std::move(callback),
        Status::InvalidArgument("LSN " + std::to_string(lsn) + " was never appended"));
  } else {
    callbacks_.emplace(lsn, std::move(callback));
  }
  sync_cv_.notify_one();
}

uint64_t Log::PromisedLsnLocked() const {
  return options_.durability.kind == DurabilityPolicy::Kind::kAlways ? durable_lsn_ : written_lsn_;
}

// ANCHOR: group_commit_queue
Result<uint64_t> Log::Submit(Writer* w) {
  std::unique_lock lock(mutex_);
  if (!error_.ok()) return error_;
  ++in_flight_;
  // Stage 1, the write: wait in line; the front writer leads a group.
  writers_.push_back(w);
  while (!w->done && !w->sync_duty && w != writers_.front()) w->cv.wait(lock);
  if (!w->done && !w->sync_duty) RunGroup(lock, w);
  // Stage 2, durability: one writer per group waits for the group's records
  // to be durable, sharing an fdatasync with everyone else who is waiting.
  if (w->sync_duty) {
    const Status s = WaitDurableLocked(lock, w->sync_through);
    // Conflict: a truncation cut the group's tail. The members before the
    // cut are still on their way to disk; each gets its own answer.
    auto answer_for = [&](uint64_t lsn) {
      return s.IsConflict() ? WaitDurableLocked(lock, lsn) : s;
    };
    w->status = answer_for(w->lsn);
    for (Writer* member : w->sync_group) {
      member->status = answer_for(member->lsn);
      member->done = true;
      member->cv.notify_one();
    }
    w->done = true;
  }
  --in_flight_;
  if (!w->status.ok()) return w->status;
  return w->lsn;
}

// Returns once `lsn` is synced. The first waiter to find no sync running
// (a blocked caller here, or the sync thread for callbacks) becomes the
// sync leader: it syncs everything written so far, without the lock, while
// the others wait for it (and writes carry on meanwhile). If their records
// were written after it started, one of them leads the next.
//
// Why blocked callers lead instead of leaving every sync to the sync
// thread: handing each sync to a sleeping thread costs a wake-up per sync,
// and wal_bench measured 16 appenders several times slower that way.
//
// Each waiter sleeps on its own condition variable and is woken only when
// its record is durable, when it is needed to lead the next sync, or when
// the log fails. (One shared condition variable would wake all 64
// appenders of a busy log after every sync, most of them for nothing; on
// a fast disk those wasted wake-ups, not fdatasync, set the pace.)
Status Log::WaitDurableLocked(std::unique_lock<std::mutex>& lock, uint64_t lsn) {
  DurabilityWaiter me;
  me.lsn = lsn;
  while (durable_lsn_ < lsn) {
    if (!error_.ok()) return error_;
    // TruncateSuffix ran while we waited and cut our record away; it will
    // never become durable (and waiting for it would never end).
    if (lsn > written_lsn_) {
      return Status::Conflict("LSN " + std::to_string(lsn) +
                              " was truncated before it became durable");
    }
    if (syncing_) {
      me.woken = false;
      durability_waiters_.push_back(&me);
      me.cv.wait(lock, [&] { return me.woken; });  // WakeDurabilityWaiters removed us
      continue;
    }
    SyncLocked(lock);
  }
  return Status::Ok();
}
// ANCHOR_END: group_commit_queue

// With mutex_ held, after a sync, a truncation or a failure: wakes the
// waiters whose records are now durable (or that must give up), and the
// one with the lowest LSN among the rest, to lead the next sync.
void Log::WakeDurabilityWaiters() {
  auto wake = [](DurabilityWaiter* w) {
    w->woken = true;
    w->cv.notify_one();
  };
  DurabilityWaiter* next_leader = nullptr;
  std::erase_if(durability_waiters_, [&](DurabilityWaiter* w) {
    if (!error_.ok() || w->lsn <= durable_lsn_ || w->lsn > written_lsn_) {
      wake(w);
      return true;
    }
    if (next_leader == nullptr || w->lsn < next_leader->lsn) next_leader = w;
    return false;
  });
  if (next_leader != nullptr && !syncing_) {
    std::erase(durability_waiters_, next_leader);
    wake(next_leader);
  }
}

// The leader's work. Called and returns with `lock` held; releases it for IO.
void Log::RunGroup(std::unique_lock<std::mutex>& lock, Writer* leader) {
  // Takes the group's `count` writers off the queue and wakes the next
  // leader. After a failed write every one of them is done, with the error.
  // After a good one the writers that asked for `sync` are not done yet:
  // the first of them (the leader itself, if it asked) gets the duty of
  // waiting for durability for all of them, and the others sleep on.
  auto finish = [this, leader](size_t count, const Status& status) {
    Writer* duty = nullptr;
    for (size_t i = 0; i < count; ++i) {
      Writer* w = writers_.front();
      writers_.pop_front();
      if (!status.ok()) w->status = status;
      if (status.ok() && w->sync && w->kind == Writer::Kind::kAppend) {
        if (duty == nullptr) {
          duty = w;
          w->sync_duty = true;
        } else {
          duty->sync_group.push_back(w);
        }
        duty->sync_through = w->lsn;  // durable through the last means all are
        continue;
      }
      w->done = true;
      if (w != leader) w->cv.notify_one();
    }
    if (duty != nullptr && duty != leader) duty->cv.notify_one();
    if (!writers_.empty()) writers_.front()->cv.notify_one();
  };

  if (!error_.ok()) {
    finish(1, error_);
    return;
  }
  if (leader->kind == Writer::Kind::kTruncate || leader->kind == Writer::Kind::kDropPrefix) {
    const Status s = leader->kind == Writer::Kind::kTruncate ? DoTruncateSuffix(lock, leader->lsn)
                                                             : DoDropPrefix(lock, leader->lsn);
    finish(1, s);
    return;
  }

  // ANCHOR: group_commit_leader
  // Gather the group: the appends queued behind the leader, up to
  // max_group_bytes. LSNs are handed out here, in queue order.
  size_t count = 0;
  size_t group_bytes = 0;
  const uint64_t first_lsn = next_lsn_;
  for (Writer* w : writers_) {
    if (w->kind == Writer::Kind::kTruncate || w->kind == Writer::Kind::kDropPrefix) break;
    size_t bytes = 0;
    for (const Entry& e : w->entries) bytes += kHeaderSize + e.payload.size();
    if (count > 0 && group_bytes + bytes > options_.max_group_bytes) break;
    group_bytes += bytes;
    next_lsn_ += w->entries.size();
    w->lsn = next_lsn_ - 1;
    ++count;
  }
  const uint64_t last_lsn = next_lsn_ - 1;
  const bool roll = !segments_.back()->offsets.empty() &&
                    segments_.back()->bytes + group_bytes > options_.segment_bytes;
  const uint64_t closing_last_lsn = written_lsn_;  // the last record of the segment a roll closes
  const uint64_t closing_bytes = segments_.back()->bytes;
  // The writers [0, count) stay in writers_ and keep waiting, so their
  // entries stay valid while we encode and write without the lock.
  std::vector<Writer*> group(writers_.begin(), writers_.begin() + static_cast<ptrdiff_t>(count));
  lock.unlock();

  std::string buffer;
  std::vector<uint32_t> offsets;  // relative to the start of buffer
  buffer.reserve(group_bytes);
  uint64_t lsn = first_lsn;
  for (Writer* w : group) {
    for (const Entry& e : w->entries) {
      offsets.push_back(static_cast<uint32_t>(buffer.size()));
      EncodeRecord(lsn++, e.type, e.payload, &buffer);
    }
  }

  Status s;
  if (roll) {
    // A closed segment ends at its last record and is never torn: trim
    // its preallocated zeros and sync it before starting the next.
    s = active_->Truncate(closing_bytes);
    if (s.ok()) s = active_->Sync();
    if (s.ok()) {
      {
        std::lock_guard guard(mutex_);
        durable_lsn_ = std::max(durable_lsn_, closing_last_lsn);
        ++stats_.syncs;
      }
      sync_cv_.notify_one();  // callbacks up to closing_last_lsn are due
      s = StartSegment(first_lsn);
    }
  }
  const uint64_t start_offset = active_->WriteOffset();
  if (s.ok()) s = active_->Append(buffer);

  lock.lock();
  if (!s.ok()) {
    Poison(s);
    finish(count, error_);
    return;
  }
  Segment& seg = *segments_.back();
  for (uint32_t rel : offsets) seg.offsets.push_back(static_cast<uint32_t>(start_offset + rel));
  seg.bytes = start_offset + buffer.size();
  written_lsn_ = last_lsn;
  stats_.appends += offsets.size();
  stats_.bytes += buffer.size();
  ++stats_.groups;
  finish(count, Status::Ok());
}
// ANCHOR_END: group_commit_leader

// ANCHOR: poison
void Log::Poison(const Status& cause) {
  spdlog::error("wal {}: {}; the log is poisoned until reopened", dir_, cause.ToString());
  error_ = Status::Poisoned("wal " + dir_ + ": " + cause.ToString() +
                            " (restart to recover from what is on disk)");
  WakeDurabilityWaiters();  // all of them: they return the error
  sync_cv_.notify_one();    // the sync thread fails every pending callback
}
// ANCHOR_END: poison

// --- the sync thread -------------------------------------------------------------

// ANCHOR: sync_thread
// A caller that must not block leaves a callback; someone must then sync
// for it and call it back. This thread does both: it leads a sync when a
// callback waits and nobody else syncs, and it alone fires callbacks, in
// LSN order, holding no lock of the log's or the caller's.
void Log::SyncLoop() {
  using Clock = std::chrono::steady_clock;
  const bool interval = options_.durability.kind == DurabilityPolicy::Kind::kInterval;
  Clock::time_point next_tick = Clock::now() + options_.durability.interval;
  std::unique_lock lock(mutex_);
  for (;;) {
    // Fire what is due first: those callers' next records can then join
    // the next sync.
    std::vector<Completion> due = TakeDueCallbacksLocked();
    if (!due.empty()) {
      lock.unlock();
      for (auto& [callback, status] : due) callback(status);
      const size_t fired = due.size();
      due.clear();  // what the callbacks captured dies outside the lock too
      lock.lock();
      unfired_ -= fired;
      if (unfired_ == 0) fired_cv_.notify_all();
      continue;
    }
    if (stop_) return;
    bool interval_due = false;
    if (interval && Clock::now() >= next_tick) {
      interval_due = true;
      next_tick = Clock::now() + options_.durability.interval;
    }
    if (SyncWantedLocked(interval_due)) {
      SyncLocked(lock);
      continue;
    }
    if (interval) {
      sync_cv_.wait_until(lock, next_tick);
    } else {
      sync_cv_.wait(lock);
    }
  }
}

// With mutex_ held: the callbacks whose record is now as durable as the
// policy promises, in LSN order; on a failed or closed log, all the rest
// too, with the error; then those answered already.
std::vector<Log::Completion> Log::TakeDueCallbacksLocked() {
  std::vector<Completion> due;
  const auto end = callbacks_.upper_bound(PromisedLsnLocked());
  for (auto it = callbacks_.begin(); it != end; ++it) {
    due.emplace_back(std::move(it->second), Status::Ok());
  }
  callbacks_.erase(callbacks_.begin(), end);
  if (!error_.ok()) {
    for (auto& [lsn, callback] : callbacks_) due.emplace_back(std::move(callback), error_);
    callbacks_.clear();
  }
  for (Completion& c : answered_) due.push_back(std::move(c));
  answered_.clear();
  return due;
}

// With mutex_ held, after the due callbacks are taken (so every pending
// one is past durable_lsn_ and, truncation having answered the others,
// not past written_lsn_).
bool Log::SyncWantedLocked(bool interval_due) const {
  if (!error_.ok() || syncing_ || written_lsn_ <= durable_lsn_) return false;
  if (options_.durability.kind == DurabilityPolicy::Kind::kAlways && !callbacks_.empty()) {
    return true;
  }
  return interval_due;
}

// One fdatasync for everything written so far, without the lock, while
// the next writes proceed. Run by the sync leader: a blocked caller or the
// sync thread.
void Log::SyncLocked(std::unique_lock<std::mutex>& lock) {
  syncing_ = true;
  const uint64_t target = written_lsn_;
  // Records up to `target` are in this file or in closed segments, which
  // were synced before this file became active.
  const std::shared_ptr<WritableFile> file = active_;
  lock.unlock();
  const Status s = file->Sync();
  lock.lock();
  syncing_ = false;
  truncate_cv_.notify_one();  // a truncation may be waiting for the sync to end
  if (s.ok()) {
    durable_lsn_ = std::max(durable_lsn_, target);
    ++stats_.syncs;
    WakeDurabilityWaiters();
  } else {
    Poison(s);
  }
  if (!callbacks_.empty()) sync_cv_.notify_one();  // some may be due now
}
// ANCHOR_END: sync_thread

}  // namespace dsc::wal
