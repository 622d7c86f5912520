// raft_bench: how many durable PUTs per second does dsc's Raft KV sustain
// on three nodes, and at what p50/p99, next to etcd on this machine?
//
// For each run, each client count (default 1 and 64) and each system, it
// starts a fresh three-member cluster (dsc raft serve with default flags;
// etcd with its defaults), their data side by side on one file system,
// finds the leader, runs the same load against it (put_run.h), checks
// that the cluster kept every acknowledged write, and stops it. The order
// of the two systems alternates between runs, so a slow spell of the
// shared machine does not always hit the same one. Then it prints every
// row, the min/median over the runs and the dsc/etcd ratios, or one JSON
// line with --json.
//
//   raft_bench [--seconds 5] [--warmup 1] [--clients 1,64] [--runs 3] [--json] ...  (--help)
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

#include "bench/bench_dir.h"
#include "bench/raft/dsc_raft_system.h"
#include "bench/raft/etcd_system.h"
#include "bench/raft/put_run.h"
#include "bench/raft/raft_bench_flags.h"
#include "bench/raft/raft_bench_report.h"
#include "bench/server_process.h"

namespace dsc::bench {
namespace {

int Fail(const Status& status) {
  std::cerr << "raft_bench: " << status.ToString() << "\n";
  return 1;
}

// "0.52 0.58 0.59 1/123 4567" -> "0.52 0.58 0.59" (1, 5 and 15 minutes).
std::string LoadAverage() {
  std::ifstream file("/proc/loadavg");
  std::string one, five, fifteen;
  if (!(file >> one >> five >> fifteen)) return "unknown";
  return one + " " + five + " " + fifteen;
}

// One row: a fresh cluster, the load, the checks, a clean stop.
Result<PutRow> MeasureRow(KvSystem& system, const std::string& data_dir,
                          const PutRunOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return Status::IOError("create " + data_dir + ": " + ec.message());
  Status started = system.Start(data_dir).WithContext("start " + system.name());
  if (!started.ok()) {
    (void)system.Stop();  // whatever did start
    return started;
  }
  Result<PutRow> row = RunPuts(system, options);
  Status stopped = system.Stop().WithContext("stop " + system.name());
  if (!row.ok()) return row.status();
  if (!stopped.ok()) return stopped;
  return row;
}

int Run(const RaftBenchFlags& flags) {
  const std::string dsc_binary =
      flags.dsc_binary.empty() ? FindDscBinary() : FindExecutable(flags.dsc_binary);
  if (dsc_binary.empty()) {
    return Fail(Status::NotFound(
        flags.dsc_binary.empty()
            ? "no dsc binary found; build it (cmake --build build --target dsc) or pass --dsc PATH"
            : "--dsc " + flags.dsc_binary + " is not an executable file"));
  }
  const std::string etcd_binary = FindExecutable(flags.etcd_binary);
  if (flags.run_etcd && etcd_binary.empty()) {
    return Fail(Status::NotFound("etcd is not installed (no executable '" + flags.etcd_binary +
                                 "'). Install it with `apt-get install etcd-server` (or `make "
                                 "deps`), or pass --etcd PATH"));
  }

  Result<BenchDir> dir = MakeBenchDir(flags.parent_dir + "/raft_bench_runs", "raft_bench");
  if (!dir.ok()) return Fail(dir.status());
  if (dir->memory_backed) {
    std::cerr << "raft_bench: WARNING: " << dir->path << " is on " << dir->fs_type
              << "; fsync is free there, so the numbers will not reflect a disk\n";
  }

  RaftBenchSetup setup;
  setup.dir = dir->path;
  setup.fs_type = dir->fs_type;
  setup.memory_backed = dir->memory_backed;
  setup.dsc_binary = dsc_binary;
  for (const std::string& arg : flags.dsc_args) setup.dsc_extra_args += " " + arg;
  setup.etcd_binary = etcd_binary;
  setup.value_bytes = flags.value_bytes;
  setup.warmup_seconds = flags.warmup_seconds;
  setup.seconds_per_row = flags.seconds;
  setup.runs = flags.runs;
  setup.load_before = LoadAverage();

  DscRaftSystem dsc(dsc_binary, flags.dsc_args);
  EtcdSystem etcd(etcd_binary);
  std::vector<PutRow> rows;
  std::vector<std::string> failures;
  for (int run = 1; run <= flags.runs; ++run) {
    for (int clients : flags.clients) {
      // Both systems per client count, back to back, so a change in the
      // machine's background load hits both rows alike.
      std::vector<KvSystem*> order;
      if (flags.run_dsc) order.push_back(&dsc);
      if (flags.run_etcd) order.push_back(&etcd);
      if (run % 2 == 0) std::reverse(order.begin(), order.end());
      for (KvSystem* system : order) {
        std::cerr << "raft_bench: run " << run << "/" << flags.runs << ", " << system->name()
                  << ", " << clients << (clients == 1 ? " client, " : " clients, ")
                  << flags.warmup_seconds << " s warm-up + " << flags.seconds << " s\n";
        PutRunOptions options;
        options.clients = clients;
        options.warmup = std::chrono::duration<double>(flags.warmup_seconds);
        options.window = std::chrono::duration<double>(flags.seconds);
        options.value_bytes = flags.value_bytes;
        const std::string data_dir = dir->path + "/run" + std::to_string(run) + "_" +
                                     system->name() + "_" + std::to_string(clients) + "_clients";
        Result<PutRow> row = MeasureRow(*system, data_dir, options);
        if (!row.ok()) {
          // One bad row (an election under load, say) does not throw away
          // the others; it is reported, and the exit code says so.
          std::cerr << "raft_bench: " << row.status().ToString() << "\n";
          failures.push_back("run " + std::to_string(run) + ", " + system->name() + ", " +
                             std::to_string(clients) + " clients: " + row.status().ToString());
          continue;
        }
        row->run = run;
        rows.push_back(*row);
      }
    }
  }
  setup.load_after = LoadAverage();

  const std::vector<RowSummary> summaries = Summarize(rows);
  const std::vector<RaftRatio> ratios = ComputeRaftRatios(summaries);
  if (flags.json) {
    PrintRaftJsonLine(std::cout, setup, rows, summaries, ratios, failures);
  } else {
    PrintRaftTable(std::cout, setup, rows, summaries, ratios, failures);
  }

  if (!failures.empty()) {
    std::cerr << "raft_bench: " << failures.size()
              << " row(s) failed; data and server logs kept in " << dir->path << "\n";
    return 1;
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
  dsc::Result<dsc::bench::RaftBenchFlags> flags = dsc::bench::ParseRaftBenchFlags(argc, argv);
  if (!flags.ok()) {
    std::cerr << "raft_bench: " << flags.status().message() << "\n" << dsc::bench::RaftBenchUsage();
    return 2;
  }
  if (flags->help) {
    std::cout << dsc::bench::RaftBenchUsage();
    return 0;
  }
  return dsc::bench::Run(*flags);
}
