#include "bench/bench_dir.h"

#include <linux/magic.h>
#include <sys/vfs.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "base/scratch_dir.h"

namespace dsc::bench {
namespace {

struct KnownFs {
  int64_t magic;
  const char* name;
};

// The file systems a learner is likely to meet (values from linux/magic.h;
// XFS and ZFS are not in that header).
constexpr KnownFs kKnownFileSystems[] = {
    {EXT4_SUPER_MAGIC, "ext4"},
    {TMPFS_MAGIC, "tmpfs"},
    {RAMFS_MAGIC, "ramfs"},
    {BTRFS_SUPER_MAGIC, "btrfs"},
    {OVERLAYFS_SUPER_MAGIC, "overlayfs"},
    {NFS_SUPER_MAGIC, "nfs"},
    {0x58465342, "xfs"},
    {0x2fc12fc1, "zfs"},
    {F2FS_SUPER_MAGIC, "f2fs"},
};

std::string FsTypeName(int64_t magic) {
  for (const KnownFs& fs : kKnownFileSystems) {
    if (fs.magic == magic) return fs.name;
  }
  char hex[32];
  std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(magic));
  return hex;
}

}  // namespace

Result<BenchDir> MakeBenchDir(const std::string& parent, std::string_view prefix) {
  Result<std::string> made = MakeScratchDir(prefix, ScratchPlace::kTempDir, parent);
  if (!made.ok()) return made.status();

  BenchDir dir;
  dir.path = *made;
  struct statfs info {};
  if (statfs(dir.path.c_str(), &info) != 0) {
    return Status::IOError("statfs " + dir.path + ": " + std::strerror(errno));
  }
  const auto magic = static_cast<int64_t>(info.f_type);
  dir.fs_type = FsTypeName(magic);
  dir.memory_backed = magic == TMPFS_MAGIC || magic == RAMFS_MAGIC;
  return dir;
}

Status RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return Status::IOError("remove " + path + ": " + ec.message());
  return Status::Ok();
}

}  // namespace dsc::bench
