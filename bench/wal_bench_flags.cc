#include "bench/wal_bench_flags.h"

#include "bench/bench_cli.h"
#include "wal/format.h"

namespace dsc::bench {
namespace {

// The command line, writing into `flags` (whose values are the defaults).
void DefineFlags(CLI::App& app, WalBenchFlags& flags) {
  app.option_defaults()->always_capture_default();
  AddDirFlag(app, &flags.parent_dir, "measure the file system DIR is on");
  AddSecondsFlag(app, &flags.seconds, "duration of each row");
  app.add_option("--payload-bytes", flags.payload_bytes, "payload of each record")
      ->check(CLI::Range(size_t{0}, size_t{wal::kMaxPayloadBytes}));
  AddCountListFlag(app, "--threads", &flags.threads, 4096,
                   "appender thread counts of the Log rows");
  app.add_option("--rocksdb-threads", flags.rocksdb_threads,
                 "writer threads of the RocksDB row (one database, Put with sync = true)")
      ->check(CLI::Range(1, 4096));
  app.add_option("--runs", flags.runs,
                 "measure every row this many times, interleaved; report medians and spread")
      ->check(CLI::Range(1, 9));
  AddKeepFlag(app, &flags.keep);
}

const BenchCommandLine<WalBenchFlags>& CommandLine() {
  static const BenchCommandLine<WalBenchFlags> command_line(
      "wal_bench",
      "Durable appends per second on a real disk: a raw write + fdatasync loop, an `always`\n"
      "Log with 1..N appenders (group commit) and RocksDB with sync = true and N writers,\n"
      "each row measured --runs times, interleaved.",
      WithDefaultDir<WalBenchFlags>(), DefineFlags);
  return command_line;
}

}  // namespace

std::string WalBenchUsage() { return CommandLine().Usage(); }

Result<WalBenchFlags> ParseWalBenchFlags(int argc, const char* const* argv) {
  return CommandLine().Parse(argc, argv);
}

}  // namespace dsc::bench
