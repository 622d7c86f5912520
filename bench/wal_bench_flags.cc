#include "bench/wal_bench_flags.h"

#include <cstdint>
#include <string>
#include <string_view>

#include "bench/flag_values.h"

#include "wal/format.h"

namespace dsc::bench {

const char kWalBenchUsage[] =
    "usage: wal_bench [--dir DIR] [--seconds S] [--payload-bytes N] [--threads N,N,...] [--keep]\n"
    "  --dir DIR           measure the file system DIR is on, in a fresh subdirectory\n"
    "                      (default: the build directory, which is on a disk)\n"
    "  --seconds S         duration of each row (default 3)\n"
    "  --payload-bytes N   payload of each record (default 100)\n"
    "  --threads LIST      appender thread counts of the Log rows (default 1,4,16,64)\n"
    "  --keep              keep the benchmark directory afterwards\n";

// By hand rather than with CLI11: five flags do not justify its compile time.
Result<WalBenchFlags> ParseWalBenchFlags(int argc, const char* const* argv) {
  WalBenchFlags flags;
  flags.parent_dir = DSC_BENCH_DEFAULT_PARENT;
  for (int i = 1; i < argc; ++i) {
    const std::string_view name = argv[i];
    if (name == "--help" || name == "-h") {
      flags.help = true;
      continue;
    }
    if (name == "--keep") {
      flags.keep = true;
      continue;
    }
    if (i + 1 >= argc) return Status::InvalidArgument(std::string(name) + " needs a value");
    const char* value = argv[++i];
    if (name == "--dir") {
      flags.parent_dir = value;
    } else if (name == "--seconds") {
      DSC_RETURN_IF_ERROR(ParseSeconds(name, value, /*zero_ok=*/false, &flags.seconds));
    } else if (name == "--payload-bytes") {
      uint64_t bytes = 0;
      if (!ParseUnsigned(value, &bytes) || bytes > wal::kMaxPayloadBytes) {
        return Status::InvalidArgument("--payload-bytes wants 0 to " +
                                       std::to_string(wal::kMaxPayloadBytes));
      }
      flags.payload_bytes = bytes;
    } else if (name == "--threads") {
      DSC_RETURN_IF_ERROR(ParseCountList(name, value, 4096, "1,4,16,64", &flags.threads));
    } else {
      return Status::InvalidArgument("unknown flag " + std::string(name));
    }
  }
  return flags;
}

}  // namespace dsc::bench
