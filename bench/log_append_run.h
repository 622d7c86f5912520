// One row of wal_bench: N threads appending to an `always` Log at once.
//
// Each thread calls Log::Append in a loop until the time is up and records
// how long every call took. With one thread this is the log's cost per
// durable record; with many it shows group commit at work: appenders that
// arrive while a sync is running share the next one, so appends per sync
// grows with the number of threads and throughput grows with it.
//
// Thread-safety: runs the appenders on threads of its own and joins them
// before returning.
#pragma once

#include <chrono>
#include <string>

#include "base/status.h"
#include "bench/measurement.h"

namespace dsc::bench {

struct LogAppendRunOptions {
  std::string dir;  // a fresh, empty directory for this row's log
  int threads = 1;
  size_t payload_bytes = 100;
  std::chrono::duration<double> duration{3.0};
};

Result<RowResult> RunLogAppenders(const LogAppendRunOptions& options);

}  // namespace dsc::bench
