// wal_bench: how fast is a durable append, and does group commit pay off?
//
// In one run, on one file system, it measures
//   1. a raw loop of write + fdatasync (the most one thread can get),
//   2. an `always` Log with 1, 4, 16 and 64 threads appending at once, and
//   3. RocksDB with WriteOptions::sync = true and 32 writer threads (its own
//      group commit, to set ours against),
// each --runs times (3), interleaved, then prints a table of medians and
// spreads, the ratios the targets are set for, and the same numbers as one
// JSON line.
//
//   wal_bench [--dir DIR] [--seconds 3] [--payload-bytes 100] [--threads 1,4,16,64]
//             [--rocksdb-threads 32] [--runs 3] [--keep]
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

#include "bench/bench_dir.h"
#include "bench/bench_report.h"
#include "bench/log_append_run.h"
#include "bench/measurement.h"
#include "bench/raw_sync_loop.h"
#include "bench/rocksdb_sync_run.h"
#include "bench/wal_bench_flags.h"
#include "wal/format.h"

namespace dsc::bench {
namespace {

int Fail(const Status& status) {
  std::cerr << "wal_bench: " << status.ToString() << "\n";
  return 1;
}

Status MakeDir(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directory(path, error);
  if (error) return Status::IOError("create " + path + ": " + error.message());
  return Status::Ok();
}

// One run: every row once, in a directory of its own (`run_dir`), so no
// row finds a file an earlier run left.
Result<RunRows> MeasureOnce(const WalBenchFlags& flags, const std::string& run_dir,
                            const std::string& progress) {
  DSC_RETURN_IF_ERROR(MakeDir(run_dir));
  const std::chrono::duration<double> duration(flags.seconds);
  RunRows rows;

  std::cerr << progress << "raw write+fdatasync, " << flags.seconds << " s\n";
  Result<RowResult> raw = RunRawSyncLoop(run_dir, wal::kHeaderSize + flags.payload_bytes, duration);
  if (!raw.ok()) return raw.status();
  rows.push_back(*raw);

  for (int threads : flags.threads) {
    std::cerr << progress << "Log always, " << threads
              << (threads == 1 ? " appender, " : " appenders, ") << flags.seconds << " s\n";
    LogAppendRunOptions options;
    options.dir = run_dir + "/log_" + std::to_string(threads);  // fresh log per row
    options.threads = threads;
    options.payload_bytes = flags.payload_bytes;
    options.duration = duration;
    Result<RowResult> row = RunLogAppenders(options);
    if (!row.ok()) return row.status();
    rows.push_back(*row);
  }

  std::cerr << progress << "RocksDB sync=true, " << flags.rocksdb_threads << " writers, "
            << flags.seconds << " s\n";
  RocksDbSyncRunOptions options;
  options.dir = run_dir + "/rocksdb";
  options.threads = flags.rocksdb_threads;
  options.payload_bytes = flags.payload_bytes;
  options.duration = duration;
  Result<RowResult> rocksdb = RunRocksDbSyncWriters(options);
  if (!rocksdb.ok()) return rocksdb.status();
  rows.push_back(*rocksdb);
  return rows;
}

int Run(const WalBenchFlags& flags) {
  Result<BenchDir> dir = MakeBenchDir(flags.parent_dir, "wal_bench");
  if (!dir.ok()) return Fail(dir.status());
  if (dir->memory_backed) {
    std::cerr << "wal_bench: WARNING: " << dir->path << " is on " << dir->fs_type
              << "; fdatasync is free there, so the numbers will not reflect a disk\n";
  }

  // Each run measures every row once, so a slow patch of the shared
  // machine lands on every row rather than on one row's every run.
  std::vector<RunRows> runs;
  for (int run = 1; run <= flags.runs; ++run) {
    const std::string progress =
        "wal_bench: run " + std::to_string(run) + "/" + std::to_string(flags.runs) + ": ";
    Result<RunRows> rows = MeasureOnce(flags, dir->path + "/run" + std::to_string(run), progress);
    if (!rows.ok()) return Fail(rows.status());
    runs.push_back(std::move(*rows));
  }

  const BenchSetup setup{dir->path,           dir->fs_type,  dir->memory_backed,
                         flags.payload_bytes, flags.seconds, flags.runs};
  const std::vector<WalRowSummary> rows = SummarizeRows(runs);
  const std::vector<Ratio> ratios = ComputeRatios(runs);
  PrintTable(std::cout, setup, rows, ratios);
  PrintJsonLine(std::cout, setup, rows, ratios);

  if (!flags.keep) {
    Status removed = RemoveTree(dir->path);
    if (!removed.ok()) return Fail(removed);
  }
  return 0;
}

}  // namespace
}  // namespace dsc::bench

int main(int argc, char** argv) {
  dsc::Result<dsc::bench::WalBenchFlags> flags = dsc::bench::ParseWalBenchFlags(argc, argv);
  if (!flags.ok()) {
    std::cerr << "wal_bench: " << flags.status().message() << "\n" << dsc::bench::WalBenchUsage();
    return 2;
  }
  if (flags->help) {
    std::cout << dsc::bench::WalBenchUsage();
    return 0;
  }
  // Keep stdout to the table and the JSON line: each row opens a fresh
  // log, and recovery says so at INFO.
  spdlog::set_level(spdlog::level::warn);
  return dsc::bench::Run(*flags);
}
