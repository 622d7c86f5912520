// What one row of wal_bench measured, and how latencies become percentiles.
//
// Thread-safety: plain values; each appender thread fills its own
// LatencySamples, and the runner merges them after joining the threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace dsc::bench {

// The median of `values` (the mean of the middle two for an even count);
// 0 when empty.
// Both queue_bench and raft_bench report medians of their runs with it.
double Median(std::vector<double> values);

// Append latencies of one run, in nanoseconds.
class LatencySamples {
 public:
  void Add(std::chrono::steady_clock::duration d) { nanos_.push_back(d.count()); }
  void Reserve(size_t n) { nanos_.reserve(n); }
  void Merge(const LatencySamples& other);
  size_t size() const { return nanos_.size(); }

  // The q-quantile (0 < q < 1) in microseconds; 0 when empty. Reorders
  // the samples, so it is not const.
  double PercentileMicros(double q);

 private:
  std::vector<std::chrono::steady_clock::duration::rep> nanos_;
};

static_assert(std::chrono::steady_clock::duration::period::den == 1'000'000'000,
              "LatencySamples stores steady_clock ticks as nanoseconds");

// wal_bench's rows' names, which its report finds them by.
inline constexpr char kRawRow[] = "raw write+fdatasync";    // raw_sync_loop.h
inline constexpr char kLogRow[] = "Log always";             // log_append_run.h
inline constexpr char kRocksDbRow[] = "RocksDB sync=true";  // rocksdb_sync_run.h

// One row of the result table.
struct RowResult {
  std::string name;    // one of the above, or "raw group commit"
  int threads = 1;     // appender threads
  double seconds = 0;  // wall time from start until the last thread stopped
  uint64_t appends = 0;
  uint64_t syncs = 0;  // fdatasync calls issued during the run
  double p50_us = 0;
  double p99_us = 0;

  double AppendsPerSecond() const { return seconds > 0 ? appends / seconds : 0; }
  double AppendsPerSync() const { return syncs > 0 ? double(appends) / syncs : 0; }
};

}  // namespace dsc::bench
