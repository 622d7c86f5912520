// Reading a log directory from disk, without changing it.
//
// ScanLog walks every segment in LSN order and tells you, record by record,
// what it finds. It is the single place that decides what a damaged log
// means, and both Log::Open (which then repairs a torn tail) and
// `dsc wal verify` / `dsc wal dump` (which never write) use it:
//
//  * A torn tail: the last segment ends in a partial record (the header or
//    payload runs past the end of the file), or in bytes that are all zero,
//    or in a record whose checksum fails and whose claimed length reaches
//    exactly the end of the file. That is what a crash during the last
//    write leaves behind; nothing after it was ever acknowledged.
//  * Corruption: anything else, such as a bad record followed by more data,
//    a short record in a segment that is not the last, an LSN out of
//    sequence, or a gap between segments. The scan stops and names the
//    segment and offset.
//
// Thread-safety: stateless functions; safe to call concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "wal/file_system.h"
#include "wal/format.h"

namespace dsc::wal {

struct SegmentInfo {
  std::string name;        // file name, e.g. 00000000000000000001.wal
  uint64_t first_lsn = 0;  // from the name
  uint64_t record_count = 0;
  uint64_t valid_bytes = 0;  // bytes up to the end of the last whole record
  uint64_t file_bytes = 0;
  // Byte offset of each whole record in the segment (offsets[i] holds
  // first_lsn + i). 32 bits suffice: segments are far below 4 GiB.
  std::vector<uint32_t> offsets;
};

struct TornTail {
  std::string segment;  // file name
  uint64_t offset = 0;  // where the partial record starts
  uint64_t bytes = 0;   // how many bytes a repair drops
  std::string reason;   // e.g. "truncated payload", "zero fill"
};

struct ScanResult {
  std::vector<SegmentInfo> segments;  // in LSN order
  std::optional<TornTail> torn_tail;
  // OK, or Corruption naming segment and offset. On corruption `segments`
  // holds what was read before it.
  Status status;
  uint64_t first_lsn = 0;  // 0 when the log holds no records
  uint64_t last_lsn = 0;   // 0 when the log holds no records
};

// Called for each valid record, with the segment name and byte offset.
// Return false to stop the scan early (status stays OK).
using RecordVisitor =
    std::function<bool(const Record& record, const std::string& segment, uint64_t offset)>;

// Scans `dir`. `visit` may be null when only the summary is wanted.
ScanResult ScanLog(FileSystem* fs, const std::string& dir, const RecordVisitor& visit = nullptr);

}  // namespace dsc::wal
