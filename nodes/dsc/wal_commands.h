// `dsc wal dump DIR` and `dsc wal verify DIR`: look inside a write-ahead log
// directory without changing it (both only read, through wal::ScanLog; a
// torn tail is reported, never repaired).
//
// Exit codes: 0 readable (a torn tail is only a warning: opening the log
// would zero it, losing nothing that was ever acknowledged), 1 corrupt
// (the message names segment and offset) or in another format (v1) or
// unreadable, 2 no such directory, or no log
// segment in it (the message suggests DIR/wal when that exists).
//
// Thread-safety: plain functions.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

namespace dsc::cli {

struct WalDumpOptions {
  std::string dir;
  uint64_t from_lsn = 0;          // print records with lsn >= from_lsn
  std::optional<uint64_t> limit;  // print at most this many
};

// One JSON line per record on `out`:
//   {"lsn":7,"type":1,"segment":"00000000000000000001.wal","offset":345,"size":12,"payload":...}
// `offset` is where the record's header starts in its segment and `size`
// the payload's length in bytes; `payload` as described in payload_json.h.
// The system tag in the segment headers picks a decoder for logs whose
// records are binary: a Raft log's lines show "term" and "entry":"noop" or
// "command":{...} instead of "payload".
// Warnings and errors go to `err`.
int WalDump(const WalDumpOptions& options, std::ostream& out, std::ostream& err);

// A summary (segments, records, LSN range, bytes) and "ok" on `out`.
int WalVerify(const std::string& dir, std::ostream& out, std::ostream& err);

}  // namespace dsc::cli
