// One row of wal_bench: N threads writing to one RocksDB with
// WriteOptions::sync = true, the durable write of a widely used store to
// set the Log's group commit against.
//
// Each thread calls DB::Put(its own key, a value of payload_bytes) with
// sync = true in a loop until the time is up and records how long every
// call took. All threads write to the same database, so RocksDB's own group
// commit (one writer at the head of its write queue writes and syncs the
// WAL for the writers queued behind it) batches them, as the Log batches its
// appenders. The database is opened with RocksDB's default options; only
// statistics are switched on, to count the WAL's syncs.
//
// Thread-safety: runs the writers on threads of its own and joins them
// before returning.
#pragma once

#include <chrono>
#include <string>

#include "base/status.h"
#include "bench/measurement.h"

namespace dsc::bench {

struct RocksDbSyncRunOptions {
  std::string dir;  // a directory that does not exist yet: the database is created there
  int threads = 32;
  size_t payload_bytes = 100;  // each Put's value
  std::chrono::duration<double> duration{3.0};
};

// appends counts the Puts, syncs the WAL syncs RocksDB reports
// (rocksdb.wal.synced); p50/p99 are of one Put.
Result<RowResult> RunRocksDbSyncWriters(const RocksDbSyncRunOptions& options);

}  // namespace dsc::bench
