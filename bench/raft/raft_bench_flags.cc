#include "bench/raft/raft_bench_flags.h"

#include "bench/bench_cli.h"

namespace dsc::bench {
namespace {

// The value starts with the key (~30 bytes, see put_run.h).
constexpr size_t kMinValueBytes = 40;
constexpr size_t kMaxValueBytes = 65536;
constexpr int kMaxRuns = 100;

// The command line, writing into `flags` (whose values are the defaults).
void DefineFlags(CLI::App& app, RaftBenchFlags& flags) {
  app.option_defaults()->always_capture_default();
  AddDscFlag(app, &flags.dsc_binary);
  app.add_option("--etcd", flags.etcd_binary,
                 "the etcd binary, a path or a name in $PATH (apt-get install etcd-server)");
  AddDirFlag(app, &flags.parent_dir, "keep both clusters' data");
  AddSecondsFlag(app, &flags.seconds, "measured window of each row");
  AddWarmupFlag(app, &flags.warmup_seconds, "unmeasured puts before each window");
  // 64: a dsc node serves 64 connections at once (nodes/raft/serve.cc);
  // more would queue at the leader and measure that queue.
  AddCountListFlag(app, "--clients", &flags.clients, 64, "concurrent clients, one row per count");
  app.add_option("--value-bytes", flags.value_bytes, "value of each put")
      ->check(CLI::Range(kMinValueBytes, kMaxValueBytes));
  app.add_option("--runs", flags.runs,
                 "rounds over every client count and both systems, each on fresh clusters; "
                 "the tables show min and median")
      ->check(CLI::Range(1, kMaxRuns));
  app.add_option("--systems", flags.systems,
                 "dsc, etcd or dsc,etcd: one alone has no ratios, but is handy under a profiler")
      ->check(CLI::IsMember({"dsc", "etcd", "dsc,etcd", "etcd,dsc"}));
  // One value per --dsc-arg, even one that starts with "--" (so it is
  // written --dsc-arg=--snapshot-every=1000).
  app.add_option("--dsc-arg", flags.dsc_args,
                 "pass FLAG to every dsc node too, as --dsc-arg=FLAG (repeat for more; for "
                 "diagnosis only: the comparison is meant with defaults)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  AddJsonFlag(app, &flags.json);
  AddKeepFlag(app, &flags.keep);
}

const BenchCommandLine<RaftBenchFlags>& CommandLine() {
  static const BenchCommandLine<RaftBenchFlags> command_line(
      "raft_bench",
      "Durable PUTs per second and their p50/p99 latency on a three-node cluster: dsc's\n"
      "Raft KV (dsc raft serve, default flags) against etcd (three members, its HTTP/JSON\n"
      "gateway), both started here on loopback, both driven by the same load generator:\n"
      "N clients, each with one keep-alive connection to the leader, putting distinct keys.",
      WithDefaultDir<RaftBenchFlags>(), DefineFlags);
  return command_line;
}

}  // namespace

std::string RaftBenchUsage() { return CommandLine().Usage(); }

Result<RaftBenchFlags> ParseRaftBenchFlags(int argc, const char* const* argv) {
  Result<RaftBenchFlags> flags = CommandLine().Parse(argc, argv);
  if (!flags.ok()) return flags;
  flags->run_dsc = flags->systems.find("dsc") != std::string::npos;
  flags->run_etcd = flags->systems.find("etcd") != std::string::npos;
  return flags;
}

}  // namespace dsc::bench
