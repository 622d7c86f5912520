// Log: removing records, at the end (TruncateSuffix) and at the start
// (DropPrefix).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "wal/log.h"
#include "wal/log_internal.h"

namespace dsc::wal {

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
// first, so a crash in between leaves a shorter but valid log), then zeroes
// the dropped records of the segment holding the cut point.
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
  const uint64_t dropped_end = keep->bytes;
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
  // Zero the dropped records rather than cut the file: the segment keeps
  // its preallocated space, and zeros are what follows the last record.
  if (s.ok()) s = file->Rewind(cut_offset, dropped_end);
  if (s.ok()) s = file->Preallocate(options_.segment_bytes);
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
  durable_lsn_ = last_kept;  // the zeroed file was just synced
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

}  // namespace dsc::wal
