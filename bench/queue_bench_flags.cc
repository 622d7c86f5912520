#include "bench/queue_bench_flags.h"

#include <cstdint>
#include <string>
#include <string_view>

#include "bench/flag_values.h"

namespace dsc::bench {

const char kQueueBenchUsage[] =
    "usage: queue_bench [--dsc PATH] [--beanstalkd PATH] [--dir DIR] [--seconds S]\n"
    "                   [--warmup S] [--clients N,N,...] [--payload-bytes N] [--json] [--keep]\n"
    "Durable enqueue + lease + ack cycles per second: dsc's queue node (--fsync always)\n"
    "against beanstalkd (binlog, fsync on every write), both started here.\n"
    "  --dsc PATH          the dsc binary (default: the one built beside this bench)\n"
    "  --beanstalkd PATH   the beanstalkd binary (default: beanstalkd from $PATH)\n"
    "  --dir DIR           keep both servers' data in a fresh directory inside DIR\n"
    "                      (default: the build directory, which is on a disk)\n"
    "  --seconds S         measured window of each row (default 5)\n"
    "  --warmup S          unmeasured cycles before each window (default 1)\n"
    "  --clients LIST      concurrent clients, one row per count and system (default 1,16)\n"
    "  --payload-bytes N   payload of each task, 40 to 4096 (default 100)\n"
    "  --json              print one JSON line instead of the table\n"
    "  --keep              keep the data directories afterwards\n";

namespace {

// The payload holds a unique tag of up to ~40 bytes (see cycle_run.cc).
constexpr uint64_t kMinPayloadBytes = 40;
constexpr uint64_t kMaxPayloadBytes = 4096;

}  // namespace

// By hand rather than with CLI11, like wal_bench: a handful of flags do not
// justify its compile time.
Result<QueueBenchFlags> ParseQueueBenchFlags(int argc, const char* const* argv) {
  QueueBenchFlags flags;
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
    } else if (name == "--beanstalkd") {
      flags.beanstalkd_binary = value;
    } else if (name == "--dir") {
      flags.parent_dir = value;
    } else if (name == "--seconds") {
      DSC_RETURN_IF_ERROR(ParseSeconds(name, value, /*zero_ok=*/false, &flags.seconds));
    } else if (name == "--warmup") {
      DSC_RETURN_IF_ERROR(ParseSeconds(name, value, /*zero_ok=*/true, &flags.warmup_seconds));
    } else if (name == "--clients") {
      // 64: the dsc node serves at most 64 connections at once (serve.cc).
      DSC_RETURN_IF_ERROR(ParseCountList(name, value, 64, "1,16", &flags.clients));
    } else if (name == "--payload-bytes") {
      uint64_t bytes = 0;
      if (!ParseUnsigned(value, &bytes) || bytes < kMinPayloadBytes || bytes > kMaxPayloadBytes) {
        return Status::InvalidArgument("--payload-bytes wants " + std::to_string(kMinPayloadBytes) +
                                       " to " + std::to_string(kMaxPayloadBytes));
      }
      flags.payload_bytes = bytes;
    } else {
      return Status::InvalidArgument("unknown flag " + std::string(name));
    }
  }
  return flags;
}

}  // namespace dsc::bench
