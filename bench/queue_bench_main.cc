// queue_bench: how many durable enqueue + lease + ack cycles per second
// does dsc's queue sustain, next to beanstalkd, on this machine?
//
// For each client count (default 1 and 16) it starts a fresh dsc queue
// node (--fsync always) and a fresh beanstalkd (binlog fsynced on every
// write), their data side by side on one file system, runs the same cycle
// loop against each (cycle_run.h), checks that nothing was lost or
// delivered twice, and prints a table with the dsc/beanstalkd ratios, or
// one JSON line with --json.
//
//   queue_bench [--seconds 5] [--warmup 1] [--clients 1,16] [--json] ...  (--help)
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "bench/beanstalk_system.h"
#include "bench/bench_dir.h"
#include "bench/cycle_run.h"
#include "bench/dsc_queue_system.h"
#include "bench/queue_bench_flags.h"
#include "bench/queue_bench_report.h"
#include "bench/raw_sync_loop.h"
#include "bench/server_process.h"

namespace dsc::bench {
namespace {

int Fail(const Status& status) {
  std::cerr << "queue_bench: " << status.ToString() << "\n";
  return 1;
}

// One row: a fresh server, the cycles, the checks, a clean stop.
Result<QueueRow> MeasureRow(QueueSystem& system, const std::string& data_dir,
                            const CycleRunOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return Status::IOError("create " + data_dir + ": " + ec.message());
  DSC_RETURN_IF_ERROR(system.Start(data_dir).WithContext("start " + system.name()));
  Result<QueueRow> row = RunCycles(system, options);
  Status stopped = system.Stop().WithContext("stop " + system.name());
  if (!row.ok()) return row.status();
  if (!stopped.ok()) return stopped;
  return row;
}

int Run(const QueueBenchFlags& flags) {
  const std::string dsc_binary =
      flags.dsc_binary.empty() ? FindDscBinary() : FindExecutable(flags.dsc_binary);
  if (dsc_binary.empty()) {
    return Fail(Status::NotFound(
        flags.dsc_binary.empty()
            ? "no dsc binary found; build it (cmake --build build --target dsc) or pass --dsc PATH"
            : "--dsc " + flags.dsc_binary + " is not an executable file"));
  }
  const std::string beanstalkd_binary = FindExecutable(flags.beanstalkd_binary);
  if (beanstalkd_binary.empty()) {
    return Fail(Status::NotFound(
        "beanstalkd is not installed (no executable '" + flags.beanstalkd_binary +
        "'). Install it with `apt-get install beanstalkd` (or `make deps`), or pass "
        "--beanstalkd PATH"));
  }

  Result<BenchDir> dir = MakeBenchDir(flags.parent_dir + "/queue_bench_runs");
  if (!dir.ok()) return Fail(dir.status());
  if (dir->memory_backed) {
    std::cerr << "queue_bench: WARNING: " << dir->path << " is on " << dir->fs_type
              << "; fsync is free there, so the numbers will not reflect a disk\n";
  }

  // What one durable step costs on this disk, for the reader of the table:
  // both systems answer only after fdatasync, so their numbers move with it.
  Result<RowResult> disk = RunRawSyncLoop(dir->path, /*record_bytes=*/128, std::chrono::seconds(1));
  if (!disk.ok()) return Fail(disk.status().WithContext("measure fdatasync"));

  DscQueueSystem dsc(dsc_binary);
  BeanstalkSystem beanstalkd(beanstalkd_binary);
  QueueSystem* const systems[] = {&dsc, &beanstalkd};
  std::vector<QueueRow> rows;
  for (int clients : flags.clients) {
    // Both systems per client count, back to back, so a change in the
    // machine's background load hits both rows alike.
    for (QueueSystem* system : systems) {
      std::cerr << "queue_bench: " << system->name() << ", " << clients
                << (clients == 1 ? " client, " : " clients, ") << flags.warmup_seconds
                << " s warm-up + " << flags.seconds << " s\n";
      CycleRunOptions options;
      options.clients = clients;
      options.warmup = std::chrono::duration<double>(flags.warmup_seconds);
      options.window = std::chrono::duration<double>(flags.seconds);
      options.payload_bytes = flags.payload_bytes;
      const std::string data_dir =
          dir->path + "/" + system->name() + "_" + std::to_string(clients) + "_clients";
      Result<QueueRow> row = MeasureRow(*system, data_dir, options);
      if (!row.ok()) {
        std::cerr << "queue_bench: data and server logs kept in " << dir->path << "\n";
        return Fail(row.status());
      }
      rows.push_back(*row);
    }
  }

  QueueBenchSetup setup;
  setup.dir = dir->path;
  setup.fs_type = dir->fs_type;
  setup.memory_backed = dir->memory_backed;
  setup.dsc_binary = dsc_binary;
  setup.beanstalkd_binary = beanstalkd_binary;
  setup.payload_bytes = flags.payload_bytes;
  setup.warmup_seconds = flags.warmup_seconds;
  setup.seconds_per_row = flags.seconds;
  setup.fdatasync_p50_us = disk->p50_us;
  const std::vector<QueueRatio> ratios = ComputeQueueRatios(rows);
  if (flags.json) {
    PrintQueueJsonLine(std::cout, setup, rows, ratios);
  } else {
    PrintQueueTable(std::cout, setup, rows, ratios);
  }

  if (!flags.keep) {
    Status removed = RemoveTree(dir->path);
    if (!removed.ok()) return Fail(removed);
  }
  return 0;
}

}  // namespace
}  // namespace dsc::bench

int main(int argc, char** argv) {
  dsc::Result<dsc::bench::QueueBenchFlags> flags = dsc::bench::ParseQueueBenchFlags(argc, argv);
  if (!flags.ok()) {
    std::cerr << "queue_bench: " << flags.status().message() << "\n"
              << dsc::bench::QueueBenchUsage();
    return 2;
  }
  if (flags->help) {
    std::cout << dsc::bench::QueueBenchUsage();
    return 0;
  }
  return dsc::bench::Run(*flags);
}
