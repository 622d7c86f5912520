#include "wal/log.h"

#include <algorithm>
#include <charconv>

#include "wal/log_internal.h"

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

// --- opening (recovery is in log_recovery.cc) ----------------------------------

Log::Log(std::string dir, LogOptions options) : dir_(std::move(dir)), options_(options) {}

Result<std::unique_ptr<Log>> Log::Open(const std::string& dir, LogOptions options) {
  if (options.fs == nullptr) return Status::InvalidArgument("LogOptions.fs is null");
  if (!IsValidSystemTag(options.system)) {
    return Status::InvalidArgument("LogOptions.system '" + options.system +
                                   "' must name the owning system: 1 to 16 of a-z 0-9 - _");
  }
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
