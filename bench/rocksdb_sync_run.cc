#include "bench/rocksdb_sync_run.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/statistics.h>

#include <cstdio>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include "base/first_error.h"

namespace dsc::bench {
namespace {

using Clock = std::chrono::steady_clock;

Status FromRocksDb(const rocksdb::Status& status, const std::string& context) {
  if (status.ok()) return Status::Ok();
  return Status::IOError(context + ": " + status.ToString());
}

// Unique per thread and per Put, so every Put adds a key and no two
// threads contend on one: "w07-000000001234". Written into the caller's
// buffer, so the loop allocates nothing of its own.
rocksdb::Slice Key(int thread, uint64_t sequence, char (&buffer)[32]) {
  const int length = std::snprintf(buffer, sizeof buffer, "w%02d-%012llu", thread,
                                   static_cast<unsigned long long>(sequence));
  return {buffer, static_cast<size_t>(length)};
}

}  // namespace

Result<RowResult> RunRocksDbSyncWriters(const RocksDbSyncRunOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.error_if_exists = true;  // a fresh database for every row
  db_options.statistics = rocksdb::CreateDBStatistics();
  // Tickers only: the histograms and timers cost a clock read per write.
  db_options.statistics->set_stats_level(rocksdb::StatsLevel::kExceptHistogramOrTimers);
  rocksdb::DB* raw_db = nullptr;
  DSC_RETURN_IF_ERROR(
      FromRocksDb(rocksdb::DB::Open(db_options, options.dir, &raw_db), "open " + options.dir));
  std::unique_ptr<rocksdb::DB> db(raw_db);

  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  const std::string value(options.payload_bytes, 'v');
  const uint64_t syncs_before = db_options.statistics->getTickerCount(rocksdb::WAL_FILE_SYNCED);
  std::vector<LatencySamples> latencies(static_cast<size_t>(options.threads));
  FirstError error;
  // Every thread starts its clock at the same moment, once all exist.
  std::latch ready(options.threads + 1);
  Clock::time_point deadline;  // written before ready.arrive_and_wait() below

  std::vector<std::thread> writers;
  for (int t = 0; t < options.threads; ++t) {
    writers.emplace_back([&, t] {
      LatencySamples& mine = latencies[static_cast<size_t>(t)];
      uint64_t sequence = 0;
      char key[32];
      ready.arrive_and_wait();
      for (Clock::time_point now = Clock::now(); now < deadline && !error.failed();) {
        const Clock::time_point before_put = now;
        rocksdb::Status s = db->Put(write_options, Key(t, sequence++, key), value);
        now = Clock::now();
        if (!s.ok()) {
          error.Set(FromRocksDb(s, "put into " + options.dir));
          return;
        }
        mine.Add(now - before_put);
      }
    });
  }
  const Clock::time_point start = Clock::now();
  deadline = start + std::chrono::duration_cast<Clock::duration>(options.duration);
  ready.arrive_and_wait();
  for (std::thread& writer : writers) writer.join();
  const Clock::time_point stop = Clock::now();

  if (error.failed()) return error.Get();
  const uint64_t syncs_after = db_options.statistics->getTickerCount(rocksdb::WAL_FILE_SYNCED);
  DSC_RETURN_IF_ERROR(FromRocksDb(db->Close(), "close " + options.dir));

  LatencySamples all;
  for (const LatencySamples& samples : latencies) all.Merge(samples);
  RowResult row;
  row.name = kRocksDbRow;
  row.threads = options.threads;
  row.seconds = std::chrono::duration<double>(stop - start).count();
  row.appends = all.size();
  row.syncs = syncs_after - syncs_before;
  row.p50_us = all.PercentileMicros(0.50);
  row.p99_us = all.PercentileMicros(0.99);
  return row;
}

}  // namespace dsc::bench
