// wal_bench's command line.
//
//   wal_bench [--dir DIR] [--seconds S] [--payload-bytes N] [--threads N,N,...]
//             [--rocksdb-threads N] [--runs N] [--keep]
//
// Thread-safety: plain functions.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/status.h"

namespace dsc::bench {

struct WalBenchFlags {
  // Where to measure: a fresh subdirectory is made inside. By default the
  // build directory (set by CMake), which lives on a disk, unlike /tmp on
  // machines that mount it as tmpfs.
  std::string parent_dir;
  double seconds = 3.0;                       // per row
  size_t payload_bytes = 100;                 // per record
  std::vector<int> threads = {1, 4, 16, 64};  // one Log row per count
  int rocksdb_threads = 32;                   // writers of the RocksDB row
  int runs = 3;                               // every row this many times; medians
  bool keep = false;                          // keep the directory afterwards
  bool help = false;                          // print WalBenchUsage() and exit
};

// What --help prints: every flag, with its default.
std::string WalBenchUsage();

// InvalidArgument, with a message naming the flag, on bad input.
Result<WalBenchFlags> ParseWalBenchFlags(int argc, const char* const* argv);

}  // namespace dsc::bench
