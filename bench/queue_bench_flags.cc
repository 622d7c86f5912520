#include "bench/queue_bench_flags.h"

#include "bench/bench_cli.h"

namespace dsc::bench {
namespace {

// The payload holds a unique tag of up to ~40 bytes (see cycle_run.cc).
constexpr size_t kMinPayloadBytes = 40;
constexpr size_t kMaxPayloadBytes = 4096;

// The command line, writing into `flags` (whose values are the defaults).
void DefineFlags(CLI::App& app, QueueBenchFlags& flags) {
  app.option_defaults()->always_capture_default();
  AddDscFlag(app, &flags.dsc_binary);
  app.add_option("--beanstalkd", flags.beanstalkd_binary,
                 "the beanstalkd binary, a path or a name in $PATH");
  AddDirFlag(app, &flags.parent_dir, "keep both servers' data");
  AddSecondsFlag(app, &flags.seconds, "measured window of each row");
  AddWarmupFlag(app, &flags.warmup_seconds, "unmeasured cycles before each window");
  // 64: the dsc node serves at most 64 connections at once (serve.cc).
  AddCountListFlag(app, "--clients", &flags.clients, 64,
                   "concurrent clients, one row per count and system");
  app.add_option("--payload-bytes", flags.payload_bytes, "payload of each task")
      ->check(CLI::Range(kMinPayloadBytes, kMaxPayloadBytes));
  AddJsonFlag(app, &flags.json);
  AddKeepFlag(app, &flags.keep);
}

const BenchCommandLine<QueueBenchFlags>& CommandLine() {
  static const BenchCommandLine<QueueBenchFlags> command_line(
      "queue_bench",
      "Durable enqueue + lease + ack cycles per second: dsc's queue node (--fsync always)\n"
      "against beanstalkd (binlog, fsync on every write), both started here.",
      WithDefaultDir<QueueBenchFlags>(), DefineFlags);
  return command_line;
}

}  // namespace

std::string QueueBenchUsage() { return CommandLine().Usage(); }

Result<QueueBenchFlags> ParseQueueBenchFlags(int argc, const char* const* argv) {
  return CommandLine().Parse(argc, argv);
}

}  // namespace dsc::bench
