// queue_bench's command line.
//
//   queue_bench [--dsc PATH] [--beanstalkd PATH] [--dir DIR] [--seconds S]
//               [--warmup S] [--clients N,N,...] [--runs N] [--payload-bytes N]
//               [--ceiling-seconds S] [--idle-connections N] [--memory-seconds S]
//               [--memory-rate R] [--memory-retention-ms MS] [--pending-tasks N]
//               [--systems NAME,...] [--dsc-threads N] [--json] [--keep]
//
// Thread-safety: plain functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace dsc::bench {

// What --systems takes, in the order the rows are measured.
inline const std::vector<std::string> kSystemFlagNames = {"beanstalkd", "dsc", "dsc-durable-leases",
                                                          "floor", "floor-fdatasync"};

struct QueueBenchFlags {
  // The `dsc` binary that serves the queue; empty: look for the one this
  // build made (FindDscBinary in server_process.h).
  std::string dsc_binary;
  // beanstalkd: a path, or a name looked up in $PATH.
  std::string beanstalkd_binary = "beanstalkd";
  // The systems to measure, by their flag names (kSystemFlagNames); the
  // ratios and fractions need beanstalkd and dsc among them.
  std::vector<std::string> systems = kSystemFlagNames;
  // Whether `name` (one of kSystemFlagNames) is among `systems`.
  bool Measures(std::string_view name) const;
  // The dsc node's --threads (0: its default, one per core but one).
  int dsc_threads = 0;
  // Both servers keep their data in fresh directories inside this one, so
  // they sync to the same file system. Default: the build directory (a
  // disk, unlike /tmp where that is tmpfs).
  std::string parent_dir;
  double seconds = 5.0;                    // measured window of each row
  double warmup_seconds = 1.0;             // unmeasured cycles before it
  std::vector<int> clients = {1, 16, 64};  // concurrent clients, one row per count and system
  int runs = 3;                            // every row (and ceiling) this many times; medians
  size_t payload_bytes = 100;              // per task
  // The group-commit ceiling: measured window of each raw group-commit row.
  double ceiling_seconds = 2.0;
  // Idle keep-alive connections opened beside the 16-client load; 0 skips
  // that part.
  size_t idle_connections = 10'000;
  // The steady-rate memory run: how long (0 skips it), at what rate
  // (cycles/s; 0: 60% of the median dsc throughput at 16 clients), and
  // the node's --retention-ms during it.
  double memory_seconds = 60.0;
  double memory_rate = 0;
  int64_t memory_retention_ms = 2000;
  // Tasks enqueued and left pending to measure memory per task; 0 skips.
  uint64_t pending_tasks = 200'000;
  bool json = false;  // print one JSON line instead of the table
  bool keep = false;  // keep the data directories afterwards
  bool help = false;  // print QueueBenchUsage() and exit
};

// What --help prints: every flag, with its default.
std::string QueueBenchUsage();

// InvalidArgument, with a message naming the flag, on bad input.
Result<QueueBenchFlags> ParseQueueBenchFlags(int argc, const char* const* argv);

}  // namespace dsc::bench
