// queue_bench: how many durable enqueue + lease + ack cycles per second
// does dsc's queue sustain, next to beanstalkd and next to what the disk
// allows, on this machine? And what do idle connections and tasks cost it?
//
// In one run of the bench:
//   1. the rows: for each run (--runs, default 3) and client count (default
//      1, 16, 64), a fresh beanstalkd (binlog fsynced on every write), a
//      fresh dsc queue node (--fsync always) and a fresh dsc node with
//      --durable-leases, back to back, the same cycle loop against each
//      (cycle_run.h), checked for lost or twice-delivered tasks; then
//   2. the group-commit ceiling at that client count (raw_sync_loop.h);
//   3. the 16-client load on a dsc node with and without --idle-connections
//      idle keep-alive connections, and the node's RSS (dsc_node_runs.h);
//   4. the node's RSS over a steady paced load with a short retention, and
//      per pending task.
// It prints the tables with every run and the medians, or one JSON line
// with --json (queue_bench_report.h).
//
//   queue_bench [--seconds 5] [--warmup 1] [--clients 1,16,64] [--runs 3] [--json] ...  (--help)
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "bench/beanstalk_system.h"
#include "bench/bench_dir.h"
#include "bench/cycle_run.h"
#include "bench/dsc_node_runs.h"
#include "bench/dsc_queue_system.h"
#include "bench/floor_queue_system.h"
#include "bench/idle_connections.h"
#include "bench/queue_bench_flags.h"
#include "bench/queue_bench_report.h"
#include "bench/raw_sync_loop.h"
#include "bench/server_process.h"

namespace dsc::bench {
namespace {

// The record size of the ceiling's raw writes: about what one dsc log
// record of a 100-byte task holds.
constexpr size_t kCeilingRecordBytes = 128;
// Connections that enqueue the pending tasks.
constexpr int kPendingClients = 64;
// The steady-rate run's default: this share of dsc's measured throughput.
constexpr double kSteadyRateShare = 0.6;
// The disk probe between rows: long enough for dozens of syncs even when
// each takes milliseconds.
constexpr double kDiskProbeSeconds = 0.25;

int Fail(const Status& status) {
  std::cerr << "queue_bench: " << status.ToString() << "\n";
  return 1;
}

std::string LoadAverage() {
  std::ifstream file("/proc/loadavg");
  std::string a, b, c;
  if (!(file >> a >> b >> c)) return "unknown";
  return a + " " + b + " " + c;
}

// "dsc --durable-leases" -> "dsc_durable_leases", for directory names.
std::string PathPart(const std::string& name) {
  std::string part;
  for (char c : name) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (plain) {
      part += c;
    } else if (!part.empty() && part.back() != '_') {
      part += '_';
    }
  }
  return part;
}

std::string ClientsText(int clients) {
  return std::to_string(clients) + (clients == 1 ? " client" : " clients");
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

CycleRunOptions LoadOptions(const QueueBenchFlags& flags, int clients) {
  CycleRunOptions options;
  options.clients = clients;
  options.warmup = std::chrono::duration<double>(flags.warmup_seconds);
  options.window = std::chrono::duration<double>(flags.seconds);
  options.payload_bytes = flags.payload_bytes;
  return options;
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
  if (flags.memory_seconds > 0 && flags.memory_rate == 0 && !flags.Measures("dsc")) {
    // The steady rate defaults to a share of dsc's own row: say so now,
    // not after every row has run.
    return Fail(Status::InvalidArgument(
        "the steady-rate memory run takes its rate from the dsc rows: add dsc to --systems, "
        "pass --memory-rate, or --memory-seconds 0"));
  }
  const std::string floor_binary = FindFloorServerBinary();
  if (floor_binary.empty()) {
    return Fail(Status::NotFound(
        "no http_floor_server next to queue_bench; build it (cmake --build build --target "
        "http_floor_server)"));
  }
  if (flags.idle_connections > 0) {
    // The idle connections, the load's own, the servers' and a margin.
    Status raised = RaiseOpenFileLimit(flags.idle_connections + 1024);
    if (!raised.ok()) {
      return Fail(raised.WithContext(std::to_string(flags.idle_connections) +
                                     " idle connections (lower --idle-connections)"));
    }
  }

  Result<BenchDir> dir = MakeBenchDir(flags.parent_dir + "/queue_bench_runs", "queue_bench");
  if (!dir.ok()) return Fail(dir.status());
  if (dir->memory_backed) {
    std::cerr << "queue_bench: WARNING: " << dir->path << " is on " << dir->fs_type
              << "; fsync is free there, so the numbers will not reflect a disk\n";
  }
  auto fail_keeping_data = [&](const Status& status) {
    std::cerr << "queue_bench: data and server logs kept in " << dir->path << "\n";
    return Fail(status);
  };

  QueueBenchResults results;
  QueueBenchSetup& setup = results.setup;
  setup.load_before = LoadAverage();

  // What one durable step costs on this disk, for the reader of the table:
  // both systems answer only after fdatasync, so their numbers move with it.
  Result<RowResult> disk = RunRawSyncLoop(dir->path, /*record_bytes=*/128, std::chrono::seconds(1));
  if (!disk.ok()) return Fail(disk.status().WithContext("measure fdatasync"));

  BeanstalkSystem beanstalkd(beanstalkd_binary);
  DscQueueOptions dsc_options;
  dsc_options.threads = flags.dsc_threads;
  DscQueueSystem dsc(dsc_binary, dsc_options);
  DscQueueOptions durable_leases = dsc_options;
  durable_leases.durable_leases = true;
  DscQueueSystem dsc_durable_leases(dsc_binary, durable_leases);
  // The floors answer without doing a queue's work: what no queue server
  // can beat with these clients on these cores (floor_queue_system.h).
  FloorQueueSystem floor(floor_binary, /*durable=*/false);
  FloorQueueSystem floor_durable(floor_binary, /*durable=*/true);
  const std::pair<std::string, QueueSystem*> all_systems[] = {
      {"beanstalkd", &beanstalkd},
      {"dsc", &dsc},
      {"dsc-durable-leases", &dsc_durable_leases},
      {"floor", &floor},
      {"floor-fdatasync", &floor_durable}};
  std::vector<QueueSystem*> systems;
  for (const auto& [flag_name, system] : all_systems) {
    if (flags.Measures(flag_name)) systems.push_back(system);
  }

  // Between two rows, a short write + fdatasync loop says which regime the
  // disk is in: on a shared machine one sync takes a few hundred
  // microseconds or several milliseconds, depending on what else writes.
  // Each probe ends one row's record and starts the next one's.
  auto probe_disk = [&]() -> Result<double> {
    Result<RowResult> probe = RunRawSyncLoop(dir->path, /*record_bytes=*/128,
                                             std::chrono::duration<double>(kDiskProbeSeconds));
    if (!probe.ok()) return probe.status().WithContext("probe the disk");
    return probe->p50_us;
  };
  Result<double> last_probe = probe_disk();
  if (!last_probe.ok()) return Fail(last_probe.status());

  // Runs outermost, so the three measurements of a row are spread over the
  // bench's length; within a run and client count the systems and the
  // ceiling follow each other, so a change in the machine's background
  // load hits them alike.
  for (int run = 1; run <= flags.runs; ++run) {
    for (int clients : flags.clients) {
      for (QueueSystem* system : systems) {
        std::cerr << "queue_bench: run " << run << "/" << flags.runs << ", " << system->name()
                  << ", " << ClientsText(clients) << ", " << flags.warmup_seconds << " s warm-up + "
                  << flags.seconds << " s\n";
        const std::string data_dir = dir->path + "/run" + std::to_string(run) + "_" +
                                     PathPart(system->name()) + "_" + std::to_string(clients);
        Result<QueueRow> row = MeasureRow(*system, data_dir, LoadOptions(flags, clients));
        if (!row.ok()) return fail_keeping_data(row.status());
        Result<double> probe = probe_disk();
        if (!probe.ok()) return fail_keeping_data(probe.status());
        row->run = run;
        row->disk_before_us = *last_probe;
        row->disk_after_us = *probe;
        last_probe = probe;
        results.rows.push_back(*row);
      }
      std::cerr << "queue_bench: run " << run << "/" << flags.runs << ", group-commit ceiling, "
                << clients << (clients == 1 ? " writer, " : " writers, ") << flags.ceiling_seconds
                << " s\n";
      Result<RowResult> ceiling =
          RunRawGroupCommit(dir->path, clients, kCeilingRecordBytes,
                            std::chrono::duration<double>(flags.ceiling_seconds));
      if (!ceiling.ok()) return fail_keeping_data(ceiling.status().WithContext("the ceiling"));
      Result<double> probe = probe_disk();
      if (!probe.ok()) return fail_keeping_data(probe.status());
      results.ceiling.push_back({clients, run, *ceiling, *last_probe, *probe});
      last_probe = probe;
      std::error_code ec;  // only disk space: a file left behind goes with the directory
      std::filesystem::remove(dir->path + "/raw_group_commit_" + std::to_string(clients) + ".dat",
                              ec);
    }
  }

  DscNodeRunOptions node_options;
  node_options.dsc_binary = dsc_binary;
  node_options.data_dir = dir->path;
  node_options.payload_bytes = flags.payload_bytes;
  node_options.threads = flags.dsc_threads;

  if (flags.idle_connections > 0) {
    IdleResult idle;
    idle.clients = kReferenceClients;
    idle.connections = flags.idle_connections;
    for (int run = 1; run <= flags.runs; ++run) {
      // Which node goes first alternates, so neither always has the
      // quieter or the busier moment.
      const bool idle_first = run % 2 == 0;
      std::cerr << "queue_bench: run " << run << "/" << flags.runs << ", dsc, "
                << ClientsText(kReferenceClients) << " without and with " << flags.idle_connections
                << " idle connections\n";
      Result<IdleRun> measured = MeasureIdleRun(node_options, LoadOptions(flags, kReferenceClients),
                                                flags.idle_connections, run, idle_first);
      if (!measured.ok()) return fail_keeping_data(measured.status());
      idle.runs.push_back(*measured);
    }
    results.idle = idle;
  }

  if (flags.memory_seconds > 0) {
    CycleRunOptions load = LoadOptions(flags, kReferenceClients);
    load.window = std::chrono::duration<double>(flags.memory_seconds);
    SteadyMemoryResult steady;
    std::string source;
    if (flags.memory_rate > 0) {
      load.target_cycles_per_second = flags.memory_rate;
      source = "--memory-rate";
    } else {
      int used_clients = 0;
      const double median =
          MedianDscCyclesPerSecond(results.rows, kReferenceClients, &used_clients);
      load.target_cycles_per_second = kSteadyRateShare * median;
      source = fmt::format("{:.0f}% of dsc's median at {}", kSteadyRateShare * 100,
                           ClientsText(used_clients));
    }
    if (load.target_cycles_per_second <= 0) {
      return Fail(Status::InvalidArgument("no rate for the steady-rate run; pass --memory-rate"));
    }
    std::cerr << "queue_bench: dsc --retention-ms " << flags.memory_retention_ms << ", "
              << ClientsText(kReferenceClients) << " paced to "
              << static_cast<int64_t>(load.target_cycles_per_second) << " cycles/s, "
              << flags.memory_seconds << " s, sampling the node's RSS\n";
    Result<SteadyMemoryResult> measured =
        MeasureSteadyMemory(node_options, load, flags.memory_retention_ms);
    if (!measured.ok()) return fail_keeping_data(measured.status());
    measured->rate_source = source;
    results.steady = *measured;
  }

  if (flags.pending_tasks > 0) {
    const int clients = static_cast<int>(std::min<uint64_t>(kPendingClients, flags.pending_tasks));
    std::cerr << "queue_bench: dsc, " << flags.pending_tasks
              << " tasks enqueued and left pending\n";
    CycleRunOptions warmup = LoadOptions(flags, kReferenceClients);
    warmup.warmup = std::chrono::duration<double>(0);
    warmup.window = std::chrono::duration<double>(std::min(flags.seconds, 1.0));
    Result<PendingMemoryResult> measured =
        MeasurePendingMemory(node_options, flags.pending_tasks, clients, warmup);
    if (!measured.ok()) return fail_keeping_data(measured.status());
    results.pending = *measured;
  }

  setup.dir = dir->path;
  setup.fs_type = dir->fs_type;
  setup.memory_backed = dir->memory_backed;
  setup.dsc_binary = dsc_binary;
  setup.beanstalkd_binary = beanstalkd_binary;
  setup.floor_binary = floor_binary;
  setup.payload_bytes = flags.payload_bytes;
  setup.warmup_seconds = flags.warmup_seconds;
  setup.seconds_per_row = flags.seconds;
  setup.runs = flags.runs;
  setup.ceiling_seconds = flags.ceiling_seconds;
  setup.ceiling_record_bytes = kCeilingRecordBytes;
  setup.disk_probe_seconds = kDiskProbeSeconds;
  setup.fdatasync_p50_us = disk->p50_us;
  setup.load_after = LoadAverage();
  if (flags.json) {
    PrintQueueJsonLine(std::cout, results);
  } else {
    PrintQueueTable(std::cout, results);
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
