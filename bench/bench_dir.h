// Where wal_bench writes, and what kind of file system that is.
//
// An fdatasync benchmark only means something on a real disk: on tmpfs the
// sync is a no-op and every number is a memory benchmark. So the bench
// asks statfs(2) what it is writing to and warns when the answer is tmpfs.
//
// Thread-safety: plain functions; call from one thread.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace dsc::bench {

struct BenchDir {
  std::string path;            // a fresh directory that belongs to this run
  std::string fs_type;         // "ext4", "tmpfs", ... or "0x1234abcd" if unknown
  bool memory_backed = false;  // tmpfs or ramfs: fdatasync costs nothing
};

// Creates a fresh directory PREFIX-XXXXXX inside `parent` (created if
// missing; MakeScratchDir in base/scratch_dir.h) and inspects the file
// system it lives on.
Result<BenchDir> MakeBenchDir(const std::string& parent, std::string_view prefix);

// Removes `path` and everything below it.
Status RemoveTree(const std::string& path);

}  // namespace dsc::bench
