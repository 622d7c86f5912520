// The baseline: what one thread gets from the disk with no log at all.
//
// A loop of write(record-sized buffer) + fdatasync on one file that grows,
// as a segment does. An `always` log with one appender cannot beat this (it
// does the same two system calls per record, plus encoding and a checksum),
// so "1 appender / raw" says how much the log's own machinery costs.
//
// Thread-safety: runs on the calling thread.
#pragma once

#include <chrono>
#include <string>

#include "base/status.h"
#include "bench/measurement.h"

namespace dsc::bench {

// Appends `record_bytes`-sized writes, each followed by fdatasync, to a new
// file in `dir` until `duration` has passed.
Result<RowResult> RunRawSyncLoop(const std::string& dir, size_t record_bytes,
                                 std::chrono::duration<double> duration);

}  // namespace dsc::bench
