#include "bench/wal_bench_flags.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

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

namespace {

// An unsigned decimal that must be all of `text`.
bool ParseUnsigned(std::string_view text, uint64_t* value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

Status ParseSeconds(const char* text, double* seconds) {
  char* end = nullptr;
  *seconds = std::strtod(text, &end);
  if (end == text || *end != '\0' || !std::isfinite(*seconds) || *seconds <= 0) {
    return Status::InvalidArgument("--seconds wants a positive number, like 3 or 0.2");
  }
  return Status::Ok();
}

Status ParseThreads(std::string_view list, std::vector<int>* threads) {
  threads->clear();
  while (!list.empty()) {
    const size_t comma = list.find(',');
    uint64_t count = 0;
    if (!ParseUnsigned(list.substr(0, comma), &count) || count == 0 || count > 4096) {
      return Status::InvalidArgument("--threads wants counts from 1 to 4096, like 1,4,16,64");
    }
    threads->push_back(static_cast<int>(count));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  if (threads->empty()) return Status::InvalidArgument("--threads is empty");
  return Status::Ok();
}

}  // namespace

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
      DSC_RETURN_IF_ERROR(ParseSeconds(value, &flags.seconds));
    } else if (name == "--payload-bytes") {
      uint64_t bytes = 0;
      if (!ParseUnsigned(value, &bytes) || bytes > wal::kMaxPayloadBytes) {
        return Status::InvalidArgument("--payload-bytes wants 0 to " +
                                       std::to_string(wal::kMaxPayloadBytes));
      }
      flags.payload_bytes = bytes;
    } else if (name == "--threads") {
      DSC_RETURN_IF_ERROR(ParseThreads(value, &flags.threads));
    } else {
      return Status::InvalidArgument("unknown flag " + std::string(name));
    }
  }
  return flags;
}

}  // namespace dsc::bench
