// Reading a log directory from disk, without changing it.
//
// ScanLog walks every segment in LSN order and tells you, record by record,
// what it finds. It is the single place that decides what a damaged log
// means, and both Log::Open (which then repairs a torn tail) and
// `dsc wal verify` / `dsc wal dump` (which never write) use it.
//
// Every segment must start with a good v2 header (format.h) naming the same
// system and its own first LSN; a segment without one is refused, with a
// message that says so when it is a format v1 segment. Then, in the LAST
// segment (the open one, where the crash happened), at the first record
// that does not decode:
//
//  * Only zeros from there on: the end of the records, in the segment's
//    preallocated space. Nothing is wrong.
//  * A torn tail, zeroed by Log::Open: nothing from there on can have been
//    acknowledged, because a record is acknowledged only after an
//    fdatasync that covered it and every byte written before it. So the
//    bad record never reached the disk whole, which only a crash during
//    its write explains; the records after it are from the same unsynced
//    writes. Three shapes of damage count as a crash:
//      - a record that runs past the end of the file;
//      - a lost write: some sector-sized piece of the record (split at
//        512-byte boundaries) is all zeros. A disk writes whole sectors and
//        may write later ones of an unsynced group before earlier ones; a
//        sector that never got written still reads as the preallocated
//        zeros. (etcd's WAL calls this a torn entry.) The records after it
//        are dropped too;
//      - a record that fails its checksum and is the last thing in the
//        file: only zeros follow it.
//  * Corruption: anything else, such as a bad record with no zeroed sector
//    followed by more data (bits that changed after they were synced), any
//    damage in a closed segment, an LSN out of sequence, or a gap between
//    segments. The scan stops and names the segment and offset.
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
  uint64_t first_lsn = 0;  // from the name (and the header)
  uint64_t record_count = 0;
  uint64_t valid_bytes = 0;  // header and whole records: where the next record goes
  uint64_t file_bytes = 0;   // the file's size, preallocated zeros included
  // Byte offset of each whole record in the segment (offsets[i] holds
  // first_lsn + i). 32 bits suffice: segments are far below 4 GiB.
  std::vector<uint32_t> offsets;
};

struct TornTail {
  std::string segment;  // file name
  uint64_t offset = 0;  // where the bad record starts
  uint64_t bytes = 0;   // how many bytes a repair zeroes (up to the last non-zero one)
  std::string reason;   // e.g. "partial record at end of file"
};

struct ScanResult {
  std::vector<SegmentInfo> segments;  // in LSN order
  std::optional<TornTail> torn_tail;
  // OK; Corruption naming segment and offset; InvalidArgument for a log
  // in another format version. On corruption `segments` holds what was
  // read before it.
  Status status;
  std::string system;      // the tag in the segment headers; "" when there is no segment
  uint64_t first_lsn = 0;  // 0 when the log holds no records
  uint64_t last_lsn = 0;   // 0 when the log holds no records
};

// Called for each valid record, with the segment name and byte offset.
// Return false to stop the scan early (status stays OK).
using RecordVisitor =
    std::function<bool(const Record& record, const std::string& segment, uint64_t offset)>;

// The system tag of the log in `dir`, from its first segment's header
// (format.h); "" when the directory holds no segment or the header cannot
// be read (ScanLog then says why).
std::string ReadLogSystem(FileSystem* fs, const std::string& dir);

// Scans `dir`. `visit` may be null when only the summary is wanted.
ScanResult ScanLog(FileSystem* fs, const std::string& dir, const RecordVisitor& visit = nullptr);

}  // namespace dsc::wal
