#include "bench/raft/raft_bench_flags.h"

#include <cstdint>
#include <string>
#include <string_view>

#include "bench/flag_values.h"

namespace dsc::bench {

const char kRaftBenchUsage[] =
    "usage: raft_bench [--dsc PATH] [--etcd PATH] [--dir DIR] [--seconds S] [--warmup S]\n"
    "                  [--clients N,N,...] [--value-bytes N] [--runs N] [--systems LIST]\n"
    "                  [--dsc-arg FLAG]... [--json] [--keep]\n"
    "Durable PUTs per second and their p50/p99 latency on a three-node cluster: dsc's\n"
    "Raft KV (dsc raft serve, default flags) against etcd (three members, its HTTP/JSON\n"
    "gateway), both started here on loopback, both driven by the same load generator:\n"
    "N clients, each with one keep-alive connection to the leader, putting distinct keys.\n"
    "  --dsc PATH          the dsc binary (default: the one built beside this bench)\n"
    "  --etcd PATH         the etcd binary (default: etcd from $PATH;\n"
    "                      apt-get install etcd-server)\n"
    "  --dir DIR           keep both clusters' data in a fresh directory inside DIR\n"
    "                      (default: the build directory, which is on a disk)\n"
    "  --seconds S         measured window of each row (default 5)\n"
    "  --warmup S          unmeasured puts before each window (default 1)\n"
    "  --clients LIST      concurrent clients, 1 to 64, one row per count (default 1,64)\n"
    "  --value-bytes N     value of each put, 40 to 65536 (default 100)\n"
    "  --runs N            rounds over every client count and both systems, each on\n"
    "                      fresh clusters; the tables show min and median (default 3)\n"
    "  --systems LIST      dsc, etcd or dsc,etcd (default): one alone has no ratios,\n"
    "                      but is handy under a profiler\n"
    "  --dsc-arg FLAG      pass FLAG to every dsc node too (repeat for more; for\n"
    "                      diagnosis only: the comparison is meant with defaults)\n"
    "  --json              print one JSON line instead of the tables\n"
    "  --keep              keep the data directories and server logs afterwards\n";

namespace {

// The value starts with the key (~30 bytes, see put_run.h).
constexpr uint64_t kMinValueBytes = 40;
constexpr uint64_t kMaxValueBytes = 65536;
constexpr uint64_t kMaxRuns = 100;

}  // namespace

// By hand rather than with CLI11, like the other benches: a handful of
// flags do not justify its compile time.
Result<RaftBenchFlags> ParseRaftBenchFlags(int argc, const char* const* argv) {
  RaftBenchFlags flags;
  flags.parent_dir = DSC_BENCH_DEFAULT_PARENT;
  for (int i = 1; i < argc; ++i) {
    const std::string_view name = argv[i];
    if (name == "--help" || name == "-h") {
      flags.help = true;
      continue;
    }
    if (name == "--json") {
      flags.json = true;
      continue;
    }
    if (name == "--keep") {
      flags.keep = true;
      continue;
    }
    if (i + 1 >= argc) return Status::InvalidArgument(std::string(name) + " needs a value");
    const char* value = argv[++i];
    if (name == "--dsc") {
      flags.dsc_binary = value;
    } else if (name == "--etcd") {
      flags.etcd_binary = value;
    } else if (name == "--dir") {
      flags.parent_dir = value;
    } else if (name == "--seconds") {
      DSC_RETURN_IF_ERROR(ParseSeconds(name, value, /*zero_ok=*/false, &flags.seconds));
    } else if (name == "--warmup") {
      DSC_RETURN_IF_ERROR(ParseSeconds(name, value, /*zero_ok=*/true, &flags.warmup_seconds));
    } else if (name == "--clients") {
      // 64: a dsc node serves 64 connections at once (nodes/raft/serve.cc);
      // more would queue at the leader and measure that queue.
      DSC_RETURN_IF_ERROR(ParseCountList(name, value, 64, "1,64", &flags.clients));
    } else if (name == "--value-bytes") {
      uint64_t bytes = 0;
      if (!ParseUnsigned(value, &bytes) || bytes < kMinValueBytes || bytes > kMaxValueBytes) {
        return Status::InvalidArgument("--value-bytes wants " + std::to_string(kMinValueBytes) +
                                       " to " + std::to_string(kMaxValueBytes));
      }
      flags.value_bytes = bytes;
    } else if (name == "--runs") {
      uint64_t runs = 0;
      if (!ParseUnsigned(value, &runs) || runs < 1 || runs > kMaxRuns) {
        return Status::InvalidArgument("--runs wants 1 to " + std::to_string(kMaxRuns));
      }
      flags.runs = static_cast<int>(runs);
    } else if (name == "--dsc-arg") {
      flags.dsc_args.push_back(value);
    } else if (name == "--systems") {
      const std::string_view list = value;
      if (list != "dsc" && list != "etcd" && list != "dsc,etcd" && list != "etcd,dsc") {
        return Status::InvalidArgument("--systems wants dsc, etcd or dsc,etcd");
      }
      flags.run_dsc = list.find("dsc") != std::string_view::npos;
      flags.run_etcd = list.find("etcd") != std::string_view::npos;
    } else {
      return Status::InvalidArgument("unknown flag " + std::string(name));
    }
  }
  return flags;
}

}  // namespace dsc::bench
