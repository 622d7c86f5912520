// The types Log's implementation files share (log.cc, log_recovery.cc,
// log_append.cc, log_truncate.cc). Not part of the API: include log.h.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "wal/log.h"

namespace dsc::wal {

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

}  // namespace dsc::wal
