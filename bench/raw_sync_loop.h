// The baselines: what the disk gives with no log at all.
//
// RunRawSyncLoop: one thread, a loop of write(record-sized buffer) +
// fdatasync on one file that grows, as a segment does. An `always` log with
// one appender cannot beat this (it does the same two system calls per
// record, plus encoding and a checksum), so "1 appender / raw" says how
// much the log's own machinery costs.
//
// RunRawGroupCommit: the same disk work, group-committed, for N writers at
// once. Each writer hands its record to a sync thread and waits until an
// fdatasync covers it; the sync thread takes every record handed over
// since its last sync, writes them with one write() and syncs once. That
// is the least a durable server with N clients, each with one durable
// request in flight, has to do per request, with no network, parsing or
// state in the way: the disk's ceiling at that concurrency.
//
// Thread-safety: RunRawSyncLoop runs on the calling thread;
// RunRawGroupCommit starts its threads and joins them before it returns.
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

// `writers` threads, each appending `record_bytes`-sized records in a loop
// and waiting for each to be synced, into a new file in `dir`, until
// `duration` has passed. appends counts the records synced, syncs the
// fdatasync calls; p50/p99 are of one record's wait.
Result<RowResult> RunRawGroupCommit(const std::string& dir, int writers, size_t record_bytes,
                                    std::chrono::duration<double> duration);

}  // namespace dsc::bench
