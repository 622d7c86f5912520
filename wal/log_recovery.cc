// Log: opening a log directory and recovering it, and creating segments.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "wal/log.h"
#include "wal/log_internal.h"

namespace dsc::wal {

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

// ANCHOR: recover
Status Log::Recover() {
  FileSystem* fs = options_.fs;
  DSC_RETURN_IF_ERROR(CreateDirDurably(fs, dir_));
  auto lock = fs->LockDir(dir_);
  if (!lock.ok()) return lock.status();
  lock_ = std::move(*lock);
  DSC_RETURN_IF_ERROR(RemoveUnfinishedSegments());

  ScanResult scan = ScanLog(fs, dir_);
  if (scan.status.IsCorruption()) {
    return Status::Corruption("wal " + dir_ + ": " + scan.status.message() +
                              " (refusing to open; inspect with `dsc wal verify " + dir_ + "`)");
  }
  if (!scan.status.ok()) {
    return scan.status.WithContext("wal " + dir_);
  }
  if (!scan.system.empty() && scan.system != options_.system) {
    return Status::InvalidArgument("wal " + dir_ + " belongs to system '" + scan.system +
                                   "', not '" + options_.system + "'");
  }
  DSC_RETURN_IF_ERROR(OpenSegments(std::move(scan)));

  next_lsn_ = segments_.back()->end_lsn();
  written_lsn_ = durable_lsn_ = next_lsn_ - 1;
  spdlog::info("wal {}: recovered {} records in {} segments, LSN {}..{}{}", dir_, recovery_.records,
               segments_.size(), first_lsn(), last_lsn(),
               recovery_.truncated ? " (torn tail zeroed)" : "");
  return Status::Ok();
}

// A crash while StartSegment ran leaves a temporary file that never became
// a segment (no record was ever written to it): delete it.
Status Log::RemoveUnfinishedSegments() {
  FileSystem* fs = options_.fs;
  auto names = fs->ListDir(dir_);
  if (!names.ok()) return names.status();
  bool removed = false;
  for (const std::string& name : *names) {
    if (!name.ends_with(std::string(kSegmentSuffix) + ".tmp")) continue;
    DSC_RETURN_IF_ERROR(fs->Remove(dir_ + "/" + name));
    removed = true;
  }
  return removed ? fs->SyncDir(dir_) : Status::Ok();
}

// Takes over what the scan found: every segment for reading, the last one
// also for writing, after its torn tail (if any) is zeroed.
Status Log::OpenSegments(ScanResult scan) {
  FileSystem* fs = options_.fs;
  for (SegmentInfo& info : scan.segments) {
    auto seg = std::make_shared<Segment>();
    seg->first_lsn = info.first_lsn;
    seg->path = dir_ + "/" + info.name;
    seg->offsets = std::move(info.offsets);
    seg->bytes = info.valid_bytes;
    auto reader = fs->OpenReadable(seg->path);
    if (!reader.ok()) return reader.status();
    seg->reader = std::move(*reader);
    recovery_.records += seg->offsets.size();
    segments_.push_back(std::move(seg));
  }
  recovery_.segments = segments_.size();
  if (segments_.empty()) return StartSegment(options_.first_lsn);

  const Segment& last = *segments_.back();
  auto file = fs->OpenWritable(last.path);
  if (!file.ok()) return file.status();
  active_ = std::shared_ptr<WritableFile>(std::move(*file));
  // Zero whatever follows the last whole record, so that new records are
  // followed by zeros again, never by the remains of lost ones.
  uint64_t dirty_end = last.bytes;
  if (scan.torn_tail) {
    const TornTail& torn = *scan.torn_tail;
    dirty_end = torn.offset + torn.bytes;
    spdlog::warn("wal {}: torn tail in {} at offset {}: zeroed {} bytes ({})", dir_, torn.segment,
                 torn.offset, torn.bytes, torn.reason);
    recovery_.truncated = torn;
  }
  DSC_RETURN_IF_ERROR(active_->Rewind(last.bytes, dirty_end));
  DSC_RETURN_IF_ERROR(active_->Preallocate(options_.segment_bytes));
  // Whatever a previous process wrote may still sit in the page cache
  // only; sync once so durable_lsn() tells the truth from here on.
  return active_->Sync();
}
// ANCHOR_END: recover

// ANCHOR: start_segment
// Creates a segment whose first record will be `first_lsn` and makes it the
// active one. It is built under a temporary name (header, preallocated
// zeros, synced) and renamed into place, so a segment file either does
// not exist or has a good header. Called by the write leader (or during
// Open) without mutex_ held; takes mutex_ to publish.
Status Log::StartSegment(uint64_t first_lsn) {
  FileSystem* fs = options_.fs;
  const std::string path = dir_ + "/" + SegmentFileName(first_lsn);
  const std::string tmp = path + ".tmp";
  auto file = fs->OpenWritable(tmp);
  if (!file.ok()) return file.status();
  WritableFile& f = **file;
  DSC_RETURN_IF_ERROR(f.Truncate(0));  // a leftover of a failed attempt
  DSC_RETURN_IF_ERROR(f.Append(EncodeSegmentHeader(options_.system, first_lsn)));
  DSC_RETURN_IF_ERROR(f.Preallocate(options_.segment_bytes));
  DSC_RETURN_IF_ERROR(f.Sync());
  DSC_RETURN_IF_ERROR(fs->Rename(tmp, path));
  // A record is only as durable as the directory entry naming its file.
  DSC_RETURN_IF_ERROR(fs->SyncDir(dir_));
  auto reader = fs->OpenReadable(path);
  if (!reader.ok()) return reader.status();

  auto seg = std::make_shared<Segment>();
  seg->first_lsn = first_lsn;
  seg->path = path;
  seg->bytes = kSegmentHeaderSize;
  seg->reader = std::move(*reader);
  std::lock_guard lock(mutex_);
  active_ = std::shared_ptr<WritableFile>(std::move(*file));
  segments_.push_back(std::move(seg));
  ++stats_.segments_created;
  return Status::Ok();
}
// ANCHOR_END: start_segment

}  // namespace dsc::wal
