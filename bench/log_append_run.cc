#include "bench/log_append_run.h"

#include <atomic>
#include <latch>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/first_error.h"
#include "wal/log.h"

namespace dsc::bench {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

Result<RowResult> RunLogAppenders(const LogAppendRunOptions& options) {
  wal::LogOptions log_options;
  log_options.system = "bench";
  log_options.durability = wal::DurabilityPolicy::Always();
  Result<std::unique_ptr<wal::Log>> opened = wal::Log::Open(options.dir, log_options);
  if (!opened.ok()) return opened.status();
  wal::Log& log = **opened;

  const std::string payload(options.payload_bytes, 'p');
  const wal::LogStats before = log.stats();
  std::vector<LatencySamples> latencies(static_cast<size_t>(options.threads));
  FirstError error;
  // Every thread starts its clock at the same moment, once all exist.
  std::latch ready(options.threads + 1);
  Clock::time_point deadline;  // written before ready.count_down() below

  std::vector<std::thread> appenders;
  for (int t = 0; t < options.threads; ++t) {
    appenders.emplace_back([&, t] {
      LatencySamples& mine = latencies[static_cast<size_t>(t)];
      ready.arrive_and_wait();
      for (Clock::time_point now = Clock::now(); now < deadline && !error.failed();) {
        const Clock::time_point before_append = now;
        Result<uint64_t> lsn = log.Append(/*type=*/1, payload);
        now = Clock::now();
        if (!lsn.ok()) {
          error.Set(lsn.status());
          return;
        }
        mine.Add(now - before_append);
      }
    });
  }
  const Clock::time_point start = Clock::now();
  deadline = start + std::chrono::duration_cast<Clock::duration>(options.duration);
  ready.arrive_and_wait();
  for (std::thread& appender : appenders) appender.join();
  const Clock::time_point stop = Clock::now();

  if (error.failed()) return error.Get();
  const wal::LogStats after = log.stats();
  DSC_RETURN_IF_ERROR(log.Close());

  LatencySamples all;
  for (const LatencySamples& samples : latencies) all.Merge(samples);
  RowResult row;
  row.name = kLogRow;
  row.threads = options.threads;
  row.seconds = std::chrono::duration<double>(stop - start).count();
  row.appends = after.appends - before.appends;
  row.syncs = after.syncs - before.syncs;
  row.p50_us = all.PercentileMicros(0.50);
  row.p99_us = all.PercentileMicros(0.99);
  return row;
}

}  // namespace dsc::bench
