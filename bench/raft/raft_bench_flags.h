// raft_bench's command line.
//
//   raft_bench [--dsc PATH] [--etcd PATH] [--dir DIR] [--seconds S] [--warmup S]
//              [--clients N,N,...] [--value-bytes N] [--runs N] [--systems dsc,etcd]
//              [--dsc-arg=FLAG]... [--json] [--keep]
//
// Thread-safety: plain functions.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/status.h"

namespace dsc::bench {

struct RaftBenchFlags {
  // The `dsc` binary that serves the Raft KV; empty: look for the one this
  // build made (FindDscBinary in bench/server_process.h).
  std::string dsc_binary;
  // etcd: a path, or a name looked up in $PATH.
  std::string etcd_binary = "etcd";
  // Both clusters keep their data in fresh directories inside this one, so
  // they sync to the same file system. Default: the build directory (a
  // disk, unlike /tmp where that is tmpfs).
  std::string parent_dir;
  double seconds = 5.0;                // measured window of each row
  double warmup_seconds = 1.0;         // unmeasured puts before it
  std::vector<int> clients = {1, 64};  // concurrent clients, one row per count, system and run
  size_t value_bytes = 100;            // per put
  int runs = 3;                        // rounds over every client count and system
  std::string systems = "dsc,etcd";    // --systems: which of the two to measure,
  bool run_dsc = true;                 // ... as these two say
  bool run_etcd = true;
  // --dsc-arg: extra flags for every dsc node (diagnosis: "what if
  // --snapshot-every were higher?"); the report prints them. Empty: the
  // defaults the issue asks for.
  std::vector<std::string> dsc_args;
  bool json = false;  // print one JSON line instead of the tables
  bool keep = false;  // keep the data directories and logs afterwards
  bool help = false;  // print RaftBenchUsage() and exit
};

// What --help prints: every flag, with its default.
std::string RaftBenchUsage();

// InvalidArgument, with a message naming the flag, on bad input.
Result<RaftBenchFlags> ParseRaftBenchFlags(int argc, const char* const* argv);

}  // namespace dsc::bench
