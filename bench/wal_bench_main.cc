// wal_bench: how fast is a durable append, and does group commit pay off?
//
// In one run, on one file system, it measures
//   1. a raw loop of write + fdatasync (the most one thread can get), and
//   2. an `always` Log with 1, 4, 16 and 64 threads appending at once,
// then prints a table, the ratios the issue set targets for, and the same
// numbers as one JSON line.
//
//   wal_bench [--dir DIR] [--seconds 3] [--payload-bytes 100] [--threads 1,4,16,64] [--keep]
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "bench/bench_dir.h"
#include "bench/bench_report.h"
#include "bench/log_append_run.h"
#include "bench/measurement.h"
#include "bench/raw_sync_loop.h"
#include "bench/wal_bench_flags.h"
#include "wal/format.h"

namespace dsc::bench {
namespace {

int Fail(const Status& status) {
  std::cerr << "wal_bench: " << status.ToString() << "\n";
  return 1;
}

int Run(const WalBenchFlags& flags) {
  Result<BenchDir> dir = MakeBenchDir(flags.parent_dir, "wal_bench");
  if (!dir.ok()) return Fail(dir.status());
  if (dir->memory_backed) {
    std::cerr << "wal_bench: WARNING: " << dir->path << " is on " << dir->fs_type
              << "; fdatasync is free there, so the numbers will not reflect a disk\n";
  }

  const std::chrono::duration<double> duration(flags.seconds);
  std::vector<RowResult> rows;

  std::cerr << "wal_bench: raw write+fdatasync, " << flags.seconds << " s\n";
  Result<RowResult> raw =
      RunRawSyncLoop(dir->path, wal::kHeaderSize + flags.payload_bytes, duration);
  if (!raw.ok()) return Fail(raw.status());
  rows.push_back(*raw);

  for (int threads : flags.threads) {
    std::cerr << "wal_bench: Log always, " << threads
              << (threads == 1 ? " appender, " : " appenders, ") << flags.seconds << " s\n";
    LogAppendRunOptions options;
    options.dir = dir->path + "/log_" + std::to_string(threads);  // fresh log per row
    options.threads = threads;
    options.payload_bytes = flags.payload_bytes;
    options.duration = duration;
    Result<RowResult> row = RunLogAppenders(options);
    if (!row.ok()) return Fail(row.status());
    rows.push_back(*row);
  }

  const BenchSetup setup{dir->path, dir->fs_type, dir->memory_backed, flags.payload_bytes,
                         flags.seconds};
  const std::vector<Ratio> ratios = ComputeRatios(rows);
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
