#include "bench/queue_bench_flags.h"

#include <algorithm>

#include "bench/bench_cli.h"

namespace dsc::bench {
namespace {

// The payload holds a unique tag of up to ~40 bytes (see cycle_run.cc).
constexpr size_t kMinPayloadBytes = 40;
constexpr size_t kMaxPayloadBytes = 4096;
// Below the dsc node's connection bound (NodeServerOptions::max_connections,
// 15,000), with room for the load's own connections.
constexpr size_t kMaxIdleConnections = 14'000;

// The command line, writing into `flags` (whose values are the defaults).
void DefineFlags(CLI::App& app, QueueBenchFlags& flags) {
  app.option_defaults()->always_capture_default();
  AddDscFlag(app, &flags.dsc_binary);
  app.add_option("--beanstalkd", flags.beanstalkd_binary,
                 "the beanstalkd binary, a path or a name in $PATH");
  app.add_option("--systems", flags.systems,
                 "the systems to measure, comma-separated (the floors answer without a queue's "
                 "work: the most any server can reach here)")
      ->delimiter(',')
      ->check(CLI::IsMember(kSystemFlagNames));
  app.add_option("--dsc-threads", flags.dsc_threads,
                 "the dsc node's --threads (0: its default, one per core but one)")
      ->check(CLI::Range(0, 64));
  AddDirFlag(app, &flags.parent_dir, "keep both servers' data");
  AddSecondsFlag(app, &flags.seconds, "measured window of each row");
  AddWarmupFlag(app, &flags.warmup_seconds, "unmeasured cycles before each window");
  // 64: the most the rows were sized for (the node itself no longer stops
  // at 64 connections).
  AddCountListFlag(app, "--clients", &flags.clients, 64,
                   "concurrent clients, one row per count and system");
  app.add_option("--runs", flags.runs,
                 "measure every row and ceiling this many times, interleaved; report medians")
      ->check(CLI::Range(1, 9));
  app.add_option("--payload-bytes", flags.payload_bytes, "payload of each task")
      ->check(CLI::Range(kMinPayloadBytes, kMaxPayloadBytes));
  app.add_option("--ceiling-seconds", flags.ceiling_seconds,
                 "measured window of each group-commit ceiling row (raw write + fdatasync, "
                 "N writers)")
      ->check(CLI::PositiveNumber);
  app.add_option("--idle-connections", flags.idle_connections,
                 "idle keep-alive connections held open beside the 16-client dsc load; 0 skips "
                 "that part")
      ->check(CLI::Range(size_t{0}, kMaxIdleConnections));
  app.add_option("--memory-seconds", flags.memory_seconds,
                 "length of the steady-rate run that samples the dsc node's RSS every second; 0 "
                 "skips it")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--memory-rate", flags.memory_rate,
                 "cycles/s of the steady-rate run; 0: 60% of dsc's median at 16 clients")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--memory-retention-ms", flags.memory_retention_ms,
                 "the node's --retention-ms during the steady-rate run")
      ->check(CLI::PositiveNumber);
  app.add_option("--pending-tasks", flags.pending_tasks,
                 "tasks enqueued and left pending to measure the dsc node's memory per task; 0 "
                 "skips that part");
  AddJsonFlag(app, &flags.json);
  AddKeepFlag(app, &flags.keep);
}

const BenchCommandLine<QueueBenchFlags>& CommandLine() {
  static const BenchCommandLine<QueueBenchFlags> command_line(
      "queue_bench",
      "Durable enqueue + lease + ack cycles per second: dsc's queue node (--fsync always;\n"
      "leases durable or not) against beanstalkd (binlog, fsync on every write), both started\n"
      "here; the disk's group-commit ceiling; the node with idle connections; its memory.",
      WithDefaultDir<QueueBenchFlags>(), DefineFlags);
  return command_line;
}

}  // namespace

bool QueueBenchFlags::Measures(std::string_view name) const {
  return std::find(systems.begin(), systems.end(), name) != systems.end();
}

std::string QueueBenchUsage() { return CommandLine().Usage(); }

Result<QueueBenchFlags> ParseQueueBenchFlags(int argc, const char* const* argv) {
  return CommandLine().Parse(argc, argv);
}

}  // namespace dsc::bench
