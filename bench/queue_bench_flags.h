// queue_bench's command line.
//
//   queue_bench [--dsc PATH] [--beanstalkd PATH] [--dir DIR] [--seconds S]
//               [--warmup S] [--clients N,N,...] [--payload-bytes N] [--json] [--keep]
//
// Thread-safety: plain functions.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/status.h"

namespace dsc::bench {

struct QueueBenchFlags {
  // The `dsc` binary that serves the queue; empty: look for the one this
  // build made (FindDscBinary in server_process.h).
  std::string dsc_binary;
  // beanstalkd: a path, or a name looked up in $PATH.
  std::string beanstalkd_binary = "beanstalkd";
  // Both servers keep their data in fresh directories inside this one, so
  // they sync to the same file system. Default: the build directory (a
  // disk, unlike /tmp where that is tmpfs).
  std::string parent_dir;
  double seconds = 5.0;                // measured window of each row
  double warmup_seconds = 1.0;         // unmeasured cycles before it
  std::vector<int> clients = {1, 16};  // concurrent clients, one row per count and system
  size_t payload_bytes = 100;          // per task
  bool json = false;                   // print one JSON line instead of the table
  bool keep = false;                   // keep the data directories afterwards
  bool help = false;                   // print QueueBenchUsage() and exit
};

// What --help prints: every flag, with its default.
std::string QueueBenchUsage();

// InvalidArgument, with a message naming the flag, on bad input.
Result<QueueBenchFlags> ParseQueueBenchFlags(int argc, const char* const* argv);

}  // namespace dsc::bench
