// wal_crash_child: the process the crash test kills.
//
//   wal_crash_child --dir DIR --run R [--threads K] [--segment-bytes N] [--filler-spread N]
//
// Opens the log in DIR with durability `always` and runs K threads that
// append records (see crash_payload.h) until the process is killed. After
// each Append returns OK, and only then, it writes one line to stdout:
//
//   <lsn> <payload id>\n
//
// so every line the parent reads is a record the log acknowledged as
// durable. Each line goes out in one write(2) of less than PIPE_BUF bytes,
// which a pipe delivers whole, so threads never interleave their lines and
// a kill never leaves half a line behind. Log messages go to stderr.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/crash/crash_payload.h"
#include "wal/log.h"

namespace {

struct Flags {
  std::string dir;
  uint32_t run = 0;
  uint32_t threads = 4;
  uint64_t segment_bytes = 0;  // 0: the LogOptions default
  uint64_t filler_spread = dsc::crash::kDefaultFillerSpread;
};

[[noreturn]] void Usage(const char* why) {
  std::cerr << "wal_crash_child: " << why
            << "\nusage: wal_crash_child --dir DIR --run R [--threads K] [--segment-bytes N]"
               " [--filler-spread N]\n";
  std::exit(2);
}

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; i += 2) {
    const std::string_view name = argv[i];
    if (i + 1 >= argc) Usage("missing value");
    const char* value = argv[i + 1];
    if (name == "--dir") {
      flags.dir = value;
    } else if (name == "--run") {
      flags.run = static_cast<uint32_t>(std::stoul(value));
    } else if (name == "--threads") {
      flags.threads = static_cast<uint32_t>(std::stoul(value));
    } else if (name == "--segment-bytes") {
      flags.segment_bytes = std::stoull(value);
    } else if (name == "--filler-spread") {
      flags.filler_spread = std::stoull(value);
    } else {
      Usage("unknown flag");
    }
  }
  if (flags.dir.empty() || flags.threads == 0 || flags.filler_spread == 0) {
    Usage("--dir is required; --threads and --filler-spread must be > 0");
  }
  return flags;
}

// Writes one whole line to stdout or ends the process: a parent that
// stopped reading has no use for more acknowledgements.
void ReportAcknowledged(uint64_t lsn, const dsc::crash::PayloadId& id) {
  const std::string line = std::to_string(lsn) + " " + id.ToString() + "\n";
  ssize_t written;
  do {
    written = ::write(STDOUT_FILENO, line.data(), line.size());
  } while (written < 0 && errno == EINTR);
  if (written != static_cast<ssize_t>(line.size())) std::_Exit(4);
}

void AppendForever(dsc::wal::Log& log, const Flags& flags, uint32_t thread) {
  for (uint64_t seq = 0;; ++seq) {
    const dsc::crash::PayloadId id{flags.run, thread, seq};
    const std::string payload = dsc::crash::MakePayload(id, flags.filler_spread);
    dsc::Result<uint64_t> lsn = log.Append(/*type=*/1, payload);
    if (!lsn.ok()) {
      std::cerr << "wal_crash_child: append failed: " << lsn.status().ToString() << "\n";
      std::_Exit(3);
    }
    ReportAcknowledged(*lsn, id);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  // stdout carries only acknowledgements; the log's own messages (recovery,
  // torn tails) go to stderr, where the test's output shows them.
  spdlog::set_default_logger(spdlog::stderr_color_mt("wal_crash_child"));
  dsc::wal::LogOptions options;
  options.system = "test";
  options.durability = dsc::wal::DurabilityPolicy::Always();
  if (flags.segment_bytes > 0) options.segment_bytes = flags.segment_bytes;

  auto log = dsc::wal::Log::Open(flags.dir, options);
  if (!log.ok()) {
    std::cerr << "wal_crash_child: open " << flags.dir << ": " << log.status().ToString() << "\n";
    return 1;
  }
  std::vector<std::thread> appenders;
  for (uint32_t t = 0; t < flags.threads; ++t) {
    appenders.emplace_back(AppendForever, std::ref(**log), std::cref(flags), t);
  }
  for (std::thread& appender : appenders) appender.join();  // never: we get killed
  return 0;
}
