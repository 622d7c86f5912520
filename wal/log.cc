#include "wal/log.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

namespace dsc::wal {

// --- DurabilityPolicy --------------------------------------------------------

Result<DurabilityPolicy> DurabilityPolicy::Parse(std::string_view text) {
  if (text == "always") return Always();
  if (text == "never") return Never();
  constexpr std::string_view kPrefix = "interval:";
  if (text.starts_with(kPrefix)) {
    const std::string_view digits = text.substr(kPrefix.size());
    int64_t ms = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ms);
    if (ec == std::errc() && end == digits.data() + digits.size() && ms > 0) {
      return Interval(std::chrono::milliseconds(ms));
    }
  }
  return Status::InvalidArgument("fsync policy '" + std::string(text) +
                                 "': expected always, never or interval:MS (MS > 0)");
}

std::string DurabilityPolicy::ToString() const {
  switch (kind) {
    case Kind::kAlways: return "always";
    case Kind::kNever: return "never";
    case Kind::kInterval: return "interval:" + std::to_string(interval.count());
  }
  return "?";
}

// --- helpers -------------------------------------------------------------------

namespace {

std::string ParentDir(const std::string& dir) {
  const size_t slash = dir.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : dir.substr(0, slash);
}

// mkdir -p, then fsync each directory that gained an entry, so a power loss
// cannot take the new log directory (and the records in it) away.
Status CreateDirDurably(FileSystem* fs, const std::string& dir) {
  std::vector<std::string> created;  // deepest first
  for (std::string d = dir; !d.empty() && d != "." && d != "/"; d = ParentDir(d)) {
    if (fs->ListDir(d).ok()) break;
    created.push_back(d);
  }
  DSC_RETURN_IF_ERROR(fs->CreateDir(dir));
  for (const std::string& d : created) DSC_RETURN_IF_ERROR(fs->SyncDir(ParentDir(d)));
  return Status::Ok();
}

}  // namespace

// --- internal types ------------------------------------------------------------

// One segment file, as the log keeps it in memory.
struct Log::Segment {
  uint64_t first_lsn = 0;
  std::string path;
  std::vector<uint32_t> offsets;  // offset of record first_lsn + i
  uint64_t bytes = 0;             // end of the last whole record
  std::shared_ptr<RandomAccessFile> reader;

  uint64_t end_lsn() const { return first_lsn + offsets.size(); }  // one past the last
};

// A caller waiting in line. The writer at the front is the leader: it does
// the IO for itself and for the writers behind it, then wakes them.
struct Log::Writer {
  enum class Kind { kAppend, kTruncate, kDropPrefix };
  Kind kind = Kind::kAppend;
  std::span<const Entry> entries;  // kAppend
  bool sync = false;               // wait for fdatasync before returning
  uint64_t lsn = 0;                // kAppend: out, the last LSN; kTruncate: last kept;
                                   // kDropPrefix: drop below
  Status status;
  bool done = false;  // written, and durable if `sync`; or failed
  // Set on one writer of a group whose members asked for `sync`: it waits
  // for the group's records to be durable, then finishes the others, so
  // they sleep once instead of twice (once for the write, once for the sync).
  bool sync_duty = false;
  std::vector<Writer*> sync_group;  // the writers it finishes (not itself)
  uint64_t sync_through = 0;        // the last LSN of sync_group (or its own)
  std::condition_variable cv;
};

// --- open and recovery ---------------------------------------------------------

Log::Log(std::string dir, LogOptions options) : dir_(std::move(dir)), options_(options) {}

Result<std::unique_ptr<Log>> Log::Open(const std::string& dir, LogOptions options) {
  if (options.fs == nullptr) return Status::InvalidArgument("LogOptions.fs is null");
  if (options.first_lsn == 0) return Status::InvalidArgument("LogOptions.first_lsn must be >= 1");
  if (options.durability.kind == DurabilityPolicy::Kind::kInterval &&
      options.durability.interval.count() <= 0) {
    return Status::InvalidArgument("interval durability needs a positive interval");
  }
  std::unique_ptr<Log> log(new Log(dir, options));
  DSC_RETURN_IF_ERROR(log->Recover());
  log->sync_thread_ = std::thread([raw = log.get()] { raw->SyncLoop(); });
  return log;
}

Status Log::Recover() {
  FileSystem* fs = options_.fs;
  DSC_RETURN_IF_ERROR(CreateDirDurably(fs, dir_));
  auto lock = fs->LockDir(dir_);
  if (!lock.ok()) return lock.status();
  lock_ = std::move(*lock);

  ScanResult scan = ScanLog(fs, dir_);
  if (!scan.status.ok()) {
    return Status::Corruption("wal " + dir_ + ": " + scan.status.message() +
                              " (refusing to open; inspect with `dsc wal verify " + dir_ + "`)");
  }

  if (scan.torn_tail) {
    // Cut the partial record off, so new records follow whole ones.
    const TornTail& torn = *scan.torn_tail;
    const std::string path = dir_ + "/" + torn.segment;
    auto file = fs->OpenWritable(path);
    if (!file.ok()) return file.status();
    DSC_RETURN_IF_ERROR((*file)->Truncate(torn.offset));
    DSC_RETURN_IF_ERROR((*file)->Sync());
    spdlog::warn("wal {}: torn tail in {} at offset {}: dropped {} bytes ({})", dir_, torn.segment,
                 torn.offset, torn.bytes, torn.reason);
    recovery_.truncated = torn;
  }

  for (SegmentInfo& info : scan.segments) {
    auto seg = std::make_shared<Segment>();
    seg->first_lsn = info.first_lsn;
    seg->path = dir_ + "/" + info.name;
    seg->offsets = std::move(info.offsets);
    seg->bytes = info.valid_bytes;
    recovery_.records += seg->offsets.size();
    segments_.push_back(std::move(seg));
  }
  recovery_.segments = segments_.size();

  if (segments_.empty()) {
    DSC_RETURN_IF_ERROR(StartSegment(options_.first_lsn));
  } else {
    auto& last = segments_.back();
    auto reader = fs->OpenReadable(last->path);
    if (!reader.ok()) return reader.status();
    for (auto& seg : segments_) {
      if (seg == last) {
        seg->reader = std::move(*reader);
        continue;
      }
      auto r = fs->OpenReadable(seg->path);
      if (!r.ok()) return r.status();
      seg->reader = std::move(*r);
    }
    auto file = fs->OpenWritable(last->path);
    if (!file.ok()) return file.status();
    active_ = std::shared_ptr<WritableFile>(std::move(*file));
    // Whatever a previous process wrote may still sit in the page cache
    // only; sync once so durable_lsn() tells the truth from here on.
    DSC_RETURN_IF_ERROR(active_->Sync());
  }

  next_lsn_ = segments_.back()->end_lsn();
  written_lsn_ = durable_lsn_ = next_lsn_ - 1;
  spdlog::info("wal {}: recovered {} records in {} segments, LSN {}..{}{}", dir_, recovery_.records,
               segments_.size(), first_lsn(), last_lsn(),
               recovery_.truncated ? " (torn tail truncated)" : "");
  return Status::Ok();
}

// Creates an empty segment whose first record will be `first_lsn`, makes
// its name durable, and makes it the active segment. Called by the leader
// (or during Open) without mutex_ held; takes mutex_ to publish.
Status Log::StartSegment(uint64_t first_lsn) {
  FileSystem* fs = options_.fs;
  const std::string path = dir_ + "/" + SegmentFileName(first_lsn);
  auto file = fs->OpenWritable(path);
  if (!file.ok()) return file.status();
  // A record is only as durable as the directory entry naming its file.
  DSC_RETURN_IF_ERROR(fs->SyncDir(dir_));
  auto reader = fs->OpenReadable(path);
  if (!reader.ok()) return reader.status();

  auto seg = std::make_shared<Segment>();
  seg->first_lsn = first_lsn;
  seg->path = path;
  seg->reader = std::move(*reader);
  std::lock_guard lock(mutex_);
  active_ = std::shared_ptr<WritableFile>(std::move(*file));
  segments_.push_back(std::move(seg));
  ++stats_.segments_created;
  return Status::Ok();
}

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
    // A closed segment is never torn: sync it before starting the next.
    s = active_->Sync();
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
  const uint64_t start_offset = active_->Size();
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

// --- truncation and compaction -------------------------------------------------

Status Log::TruncateSuffix(uint64_t last_kept_lsn) {
  Writer w;
  w.kind = Writer::Kind::kTruncate;
  w.lsn = last_kept_lsn;
  return Submit(&w).status();
}

Status Log::DropPrefix(uint64_t lsn) {
  Writer w;
  w.kind = Writer::Kind::kDropPrefix;
  w.lsn = lsn;
  return Submit(&w).status();
}

// Runs as the leader, alone. Deletes whole segments past the cut (newest
// first, so a crash in between leaves a shorter but valid log), then cuts
// the segment holding the cut point.
Status Log::DoTruncateSuffix(std::unique_lock<std::mutex>& lock, uint64_t last_kept) {
  if (last_kept >= written_lsn_) return Status::Ok();
  // A sync finishing after the cut would mark the removed records durable.
  truncate_cv_.wait(lock, [&] { return !syncing_; });
  syncing_ = true;
  struct SyncGate {
    Log* log;
    ~SyncGate() {  // runs with the lock held, on every return path
      log->syncing_ = false;
      log->WakeDurabilityWaiters();
      log->sync_cv_.notify_one();
    }
  } gate{this};
  if (last_kept + 1 < segments_.front()->first_lsn) {
    return Status::InvalidArgument(
        "cannot truncate to LSN " + std::to_string(last_kept) + ": records before " +
        std::to_string(segments_.front()->first_lsn) + " were dropped by compaction");
  }
  // Keep the segments whose first record is at or before last_kept + 1.
  std::vector<std::shared_ptr<Segment>> doomed;
  while (segments_.size() > 1 && segments_.back()->first_lsn > last_kept + 1) {
    doomed.push_back(segments_.back());
    segments_.pop_back();
  }
  std::shared_ptr<Segment> keep = segments_.back();
  const uint64_t keep_count = last_kept + 1 - keep->first_lsn;
  const uint64_t cut_offset =
      keep_count < keep->offsets.size() ? keep->offsets[keep_count] : keep->bytes;
  lock.unlock();

  FileSystem* fs = options_.fs;
  Status s;
  for (const auto& seg : doomed) {  // newest first
    if (s.ok()) s = fs->Remove(seg->path);
  }
  if (s.ok() && !doomed.empty()) s = fs->SyncDir(dir_);
  std::shared_ptr<WritableFile> file = active_;
  if (s.ok() && !doomed.empty()) {
    auto reopened = fs->OpenWritable(keep->path);
    if (reopened.ok()) {
      file = std::shared_ptr<WritableFile>(std::move(*reopened));
    } else {
      s = reopened.status();
    }
  }
  if (s.ok()) s = file->Truncate(cut_offset);
  if (s.ok()) s = file->Sync();

  lock.lock();
  active_ = file;
  if (!s.ok()) {
    Poison(s);
    return error_;
  }
  keep->offsets.resize(keep_count);
  keep->bytes = cut_offset;
  next_lsn_ = last_kept + 1;
  written_lsn_ = last_kept;
  durable_lsn_ = last_kept;  // the cut file was just synced
  // Answered now, not when the sync thread next looks: by then a new
  // append may have reused their LSNs.
  for (auto it = callbacks_.upper_bound(last_kept); it != callbacks_.end();) {
    answered_.emplace_back(std::move(it->second),
                           Status::Conflict("LSN " + std::to_string(it->first) +
                                            " was truncated before it became durable"));
    it = callbacks_.erase(it);
  }
  return Status::Ok();
}

// Runs as the leader, alone. Deletes closed segments whose records are all
// below `lsn`, oldest first (a crash in between leaves a valid log).
Status Log::DoDropPrefix(std::unique_lock<std::mutex>& lock, uint64_t lsn) {
  std::vector<std::shared_ptr<Segment>> doomed;
  while (segments_.size() > 1 && segments_[1]->first_lsn <= lsn) {
    doomed.push_back(segments_.front());
    segments_.erase(segments_.begin());
  }
  if (doomed.empty()) return Status::Ok();
  lock.unlock();
  Status s;
  for (const auto& seg : doomed) {
    if (s.ok()) s = options_.fs->Remove(seg->path);
  }
  if (s.ok()) s = options_.fs->SyncDir(dir_);
  lock.lock();
  // The in-memory log no longer holds these records either way; a failed
  // delete only leaves files that the next Open will find still valid.
  return s;
}

// --- reads -----------------------------------------------------------------------

Result<std::vector<Record>> Log::Read(uint64_t from_lsn, size_t max_records,
                                      size_t max_bytes) const {
  // Plan the reads under the lock (which byte ranges of which files), then
  // read and decode without it.
  struct Span {
    std::shared_ptr<RandomAccessFile> file;
    std::string name;
    uint64_t begin = 0;
    uint64_t end = 0;
    uint64_t first_lsn = 0;
    uint64_t count = 0;
  };
  std::vector<Span> spans;
  {
    std::lock_guard lock(mutex_);
    if (!error_.ok() && !error_.IsUnavailable()) return error_;
    const uint64_t first = segments_.front()->first_lsn;
    if (from_lsn < first) {
      return Status::NotFound("LSN " + std::to_string(from_lsn) +
                              " was dropped by compaction; the log starts at " +
                              std::to_string(first));
    }
    size_t records = 0;
    size_t bytes = 0;
    uint64_t lsn = from_lsn;
    for (const auto& seg : segments_) {
      if (records >= max_records || (records > 0 && bytes >= max_bytes)) break;
      if (lsn >= seg->end_lsn() || lsn > written_lsn_) continue;
      Span span{seg->reader, seg->path, seg->offsets[lsn - seg->first_lsn], 0, lsn, 0};
      uint64_t i = lsn - seg->first_lsn;
      for (; i < seg->offsets.size(); ++i) {
        if (records >= max_records || (records > 0 && bytes >= max_bytes)) break;
        const uint64_t end = i + 1 < seg->offsets.size() ? seg->offsets[i + 1] : seg->bytes;
        bytes += end - seg->offsets[i] - kHeaderSize;
        ++records;
        ++span.count;
        span.end = end;
      }
      lsn = seg->first_lsn + i;
      spans.push_back(std::move(span));
    }
  }

  std::vector<Record> out;
  std::string data;
  for (const Span& span : spans) {
    DSC_RETURN_IF_ERROR(span.file->Read(span.begin, span.end - span.begin, &data));
    std::string_view rest(data);
    for (uint64_t k = 0; k < span.count; ++k) {
      Decoded d = DecodeRecord(rest);
      if (d.result != DecodeResult::kOk || d.record.lsn != span.first_lsn + k) {
        return Status::Corruption("segment " + span.name + ": cannot re-read LSN " +
                                  std::to_string(span.first_lsn + k) + " (" +
                                  DecodeResultName(d.result) + ")");
      }
      rest.remove_prefix(d.encoded_size);
      out.push_back(std::move(d.record));
    }
  }
  return out;
}

// --- accessors and close -----------------------------------------------------------

uint64_t Log::first_lsn() const {
  std::lock_guard lock(mutex_);
  return segments_.front()->first_lsn;
}

uint64_t Log::last_lsn() const {
  std::lock_guard lock(mutex_);
  return written_lsn_;
}

uint64_t Log::durable_lsn() const {
  std::lock_guard lock(mutex_);
  return durable_lsn_;
}

Status Log::health() const {
  std::lock_guard lock(mutex_);
  return error_;
}

size_t Log::appenders_in_flight() const {
  std::lock_guard lock(mutex_);
  return in_flight_;
}

size_t Log::durable_waiters() const {
  std::lock_guard lock(mutex_);
  return unfired_;
}

LogStats Log::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

Status Log::Close() {
  Status s;
  if (options_.durability.kind != DurabilityPolicy::Kind::kNever) s = Sync();
  std::unique_lock lock(mutex_);
  if (error_.ok()) error_ = Status::Unavailable("wal " + dir_ + " is closed");
  WakeDurabilityWaiters();
  sync_cv_.notify_one();
  // No callback runs after Close returns: its owner may go away next.
  if (sync_thread_.joinable()) fired_cv_.wait(lock, [&] { return unfired_ == 0; });
  return s.IsUnavailable() ? Status::Ok() : s;
}

Log::~Log() {
  (void)Close();
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  sync_cv_.notify_one();
  if (sync_thread_.joinable()) sync_thread_.join();
}

}  // namespace dsc::wal
